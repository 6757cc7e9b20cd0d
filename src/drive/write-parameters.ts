// Page 05h write parameters per medium before asking for the NWA (MMC-5 7.5.4; CD TAO 4.2, DVD-R incremental 4.4.4).
import { LONG_TIMEOUT_MS, runCommand } from '../mmc/command';
import {
  DATA_BLOCK_TYPE, encodeWriteParameters, MODE_PAGE, modeSelect10, modeSense10, MULTISESSION, parseWriteParameters, WRITE_TYPE,
  type WriteParameters,
} from '../mmc/mode-pages';
import { buildSetCdSpeed, MAX_SPEED } from '../mmc/speed';
import type { Transport } from '../mmc/transport';
import { DiscfsError } from '../util/errors';
import type { WriteProcedure } from './drive';

/** CD track mode 4: data, recorded uninterrupted; DVD-R incremental uses 5 (data, incremental). */
const TRACK_MODE = { cdData: 4, dvdIncremental: 5 } as const;
/** DVD-R incremental linking: 16 blocks, one ECC block (MMC-5 7.5.4.9). */
const DVD_LINK_SIZE = 16;

function parametersFor(procedure: WriteProcedure, current: WriteParameters, finalize: boolean): WriteParameters | undefined {
  // 11b lets a next session follow; 00b makes closing the session close the disc (the `--close` case).
  const multisession = finalize ? MULTISESSION.noNextSession : MULTISESSION.nextSessionAllowed;
  const common = { ...current, bufferUnderrunFree: true, testWrite: false, multisession, fixedPacket: false, packetSize: 0 };
  if (procedure === 'cd-tao') {
    return { ...common, writeType: WRITE_TYPE.trackAtOnce, trackMode: TRACK_MODE.cdData, dataBlockType: DATA_BLOCK_TYPE.mode1, linkSize: 0, sessionFormat: 0 };
  }
  if (procedure === 'dvd-minus-r-incremental') {
    return { ...common, writeType: WRITE_TYPE.packet, trackMode: TRACK_MODE.dvdIncremental, dataBlockType: DATA_BLOCK_TYPE.mode1, linkSize: DVD_LINK_SIZE };
  }
  return undefined;
}

/**
 * CD-R TAO and DVD-R incremental need page 05h set before READ TRACK INFORMATION, because the NWA the drive
 * reports depends on the write type. DVD+R and BD-R ignore the page (MMC-5 7.5.4.1) and get nothing.
 */
export async function setWriteParameters(t: Transport, procedure: WriteProcedure, finalize: boolean): Promise<void> {
  if (procedure !== 'cd-tao' && procedure !== 'dvd-minus-r-incremental') return;
  const page = await modeSense10(t, MODE_PAGE.writeParameters);
  if (!page) throw new DiscfsError('DRIVE_NO_WRITE_PARAMETERS', `${t.description} has no write parameters page (05h): it cannot write this medium`);
  const wanted = parametersFor(procedure, parseWriteParameters(page), finalize);
  if (wanted) await modeSelect10(t, encodeWriteParameters(page, wanted));
}

/** `--speed` in kB/s (SET CD SPEED, MMC-5 6.37); drives that refuse it keep their own choice. */
export async function setWriteSpeed(t: Transport, kBps: number | undefined): Promise<boolean> {
  const speed = kBps === undefined ? MAX_SPEED : Math.max(1, Math.min(MAX_SPEED, Math.round(kBps)));
  try {
    await runCommand(t, { cdb: buildSetCdSpeed(MAX_SPEED, speed), timeoutMs: LONG_TIMEOUT_MS });
    return true;
  } catch {
    return false;
  }
}
