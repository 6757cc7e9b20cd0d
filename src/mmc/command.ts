// Issuing one command and turning its status into data or a ScsiError (SAM-5 5.3, SPC-4 4.5); used by every command module.
import { ScsiError, ScsiFailure } from './scsi-error';
import { decodeSense } from './sense';
import { DataDirection, SCSI_STATUS, ScsiResult, Transport } from './transport';

export const DEFAULT_TIMEOUT_MS = 30_000;
/** Writing, closing and syncing can take minutes on real drives (libburn allows 200 s and more). */
export const LONG_TIMEOUT_MS = 200_000;
/** Linux DRIVER_SENSE: sense data is attached, which goes with CHECK CONDITION and is not itself a fault. */
const DRIVER_SENSE = 0x08;
const DRIVER_STATUS_MASK = 0x0f;

export interface CommandRequest {
  readonly cdb: Buffer;
  /** Bytes to receive (allocation length of the CDB); mutually exclusive with `send`. */
  readonly receive?: number;
  /** Parameter data to send. */
  readonly send?: Buffer;
  readonly timeoutMs?: number;
}

function failureOf(r: ScsiResult): ScsiFailure | undefined {
  if (r.hostStatus !== 0) return 'transport';
  if (r.driverStatus !== 0 && (r.driverStatus & DRIVER_STATUS_MASK) !== DRIVER_SENSE) return 'transport';
  switch (r.status) {
    case SCSI_STATUS.good:
    case SCSI_STATUS.conditionMet:
      return undefined;
    case SCSI_STATUS.checkCondition: return 'check-condition';
    case SCSI_STATUS.busy: return 'busy';
    case SCSI_STATUS.reservationConflict: return 'reservation-conflict';
    default: return 'status';
  }
}

/** Throws the ScsiError a result stands for, if any. */
export function checkResult(opcode: number, r: ScsiResult, device?: string): void {
  const failure = failureOf(r);
  if (failure === undefined) return;
  throw new ScsiError({
    opcode,
    failure,
    status: r.status,
    sense: decodeSense(r.sense),
    hostStatus: r.hostStatus,
    driverStatus: r.driverStatus,
    device,
  });
}

/**
 * Runs one command; for data-in commands returns the bytes actually received (allocation minus residual).
 * Parsers still cut the reply at its own length field, because residuals are lost on some paths.
 */
export async function runCommand(t: Transport, req: CommandRequest): Promise<Buffer> {
  let direction: DataDirection = 'none';
  let data: Buffer | null = null;
  if (req.receive !== undefined && req.receive > 0) {
    direction = 'in';
    data = Buffer.alloc(req.receive);
  } else if (req.send !== undefined && req.send.length > 0) {
    direction = 'out';
    data = req.send;
  }
  const opcode = req.cdb[0];
  const r = await t.execute(req.cdb, direction, data, req.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  checkResult(opcode, r, t.description);
  if (direction !== 'in' || data === null) return Buffer.alloc(0);
  const received = Math.max(0, Math.min(data.length, data.length - Math.max(0, r.residual)));
  return data.subarray(0, received);
}
