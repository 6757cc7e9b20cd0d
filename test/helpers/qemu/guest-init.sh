#!/bin/busybox sh
# PID 1 of the throwaway test guest (test/helpers/qemu/guest.ts): load the SCSI/9p/FUSE/isofs modules,
# make the host root (read-only 9p) the guest root, share the work dir read-write, run the job's one
# command in a chroot, record its exit status, power off. Lines starting "discfs-guest:" go to the console.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /mods/order); do insmod "/mods/$m" || echo "discfs-guest: insmod $m failed"; done
O=trans=virtio,version=9p2000.L,msize=524288
mount -t 9p -o $O job /job || { echo "discfs-guest: cannot mount the job share"; poweroff -f; }
# The SCSI scan runs asynchronously: wait (bounded, 10 s) until every attached device has its sg node.
N=$(cat /job/ndev)
i=0
while [ "$(ls /sys/class/scsi_generic 2>/dev/null | wc -l)" -lt "$N" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
R=/newroot
mount -t 9p -o $O,ro,cache=loose hostroot $R || { echo "discfs-guest: cannot mount the host root"; poweroff -f; }
mount -t proc proc $R/proc
mount -t sysfs sys $R/sys
mount -t devtmpfs dev $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts devpts $R/dev/pts
mount -t tmpfs shm $R/dev/shm
mount -t tmpfs tmp $R/tmp
mount -t tmpfs run $R/run
mkdir -p $R/run/discfs-guest
mount --bind /job $R/run/discfs-guest
PROJECT=$(cat /job/projectdir)
# The checkout may be under /tmp (a guest tmpfs) or anywhere else: mount it read-only at its own path.
mkdir -p "$R$PROJECT" 2>/dev/null
mount -t 9p -o $O,ro project "$R$PROJECT" || { echo "discfs-guest: cannot mount the project at $PROJECT"; poweroff -f; }
WORK=$(cat /job/workdir)
if [ -n "$WORK" ]; then
	# Under /tmp the path exists only once created in the guest's tmpfs; elsewhere it is on the host root.
	mkdir -p "$R$WORK" 2>/dev/null
	mount -t 9p -o $O work "$R$WORK" || { echo "discfs-guest: cannot mount the work dir at $WORK"; poweroff -f; }
fi
echo "discfs-guest: command starts at $(cut -d' ' -f1 /proc/uptime)s"
chroot $R /bin/sh /run/discfs-guest/cmd.sh >/job/stdout 2>/job/stderr </dev/null
echo $? >/job/rc
echo "discfs-guest: command done at $(cut -d' ' -f1 /proc/uptime)s rc=$(cat /job/rc)"
sync
[ -n "$WORK" ] && umount "$R$WORK"
umount "$R$PROJECT"
umount /job
poweroff -f
