# Shell functions for guest scripts (sourced inside the QEMU guest): find the sr/sg nodes of a SCSI target
# id on the virtio-scsi bus, and re-probe a device so the kernel forgets what it cached about the disc
# (sr keeps a blank disc's size until the device is deleted and scanned again).

# hctl_of ID -> "H:C:T:L" of the MMC device (type 5) with SCSI target id ID
hctl_of() {
	for d in /sys/bus/scsi/devices/*:0:"$1":0; do
		[ -f "$d/type" ] && [ "$(cat "$d/type")" = 5 ] && { basename "$d"; return 0; }
	done
	return 1
}

# sr_of HCTL -> sr0, sr1, ... (waits up to 10 s for the sr driver to bind after a scan)
sr_of() {
	i=0
	while [ $i -lt 100 ]; do
		for b in /sys/bus/scsi/devices/"$1"/block/*; do [ -e "$b" ] && { basename "$b"; return 0; }; done
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

# sg_of HCTL -> sg0, sg1, ...
sg_of() {
	for g in /sys/bus/scsi/devices/"$1"/scsi_generic/*; do [ -e "$g" ] && { basename "$g"; return 0; }; done
	return 1
}

# reprobe HCTL: delete the device and scan its host for it again
reprobe() {
	host=${1%%:*}
	rest=${1#*:}
	echo 1 >/sys/bus/scsi/devices/"$1"/delete || return 1
	echo "$rest" | tr ':' ' ' >/sys/class/scsi_host/host"$host"/scan || return 1
	sr_of "$1" >/dev/null
}
