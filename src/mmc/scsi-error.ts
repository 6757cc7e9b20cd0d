// A failed SCSI command (SAM-5 5.3 status, SPC-4 4.5 sense) as one error with opcode, key, ASC/ASCQ and recoverability.
import { DiscfsError } from '../util/errors';
import { opcodeName } from './opcodes';
import { SENSE_KEY, SenseData, senseKeyName, senseMessage, senseTriple } from './sense';
import { SCSI_STATUS } from './transport';

export type ScsiFailure = 'check-condition' | 'busy' | 'reservation-conflict' | 'status' | 'transport';

export interface ScsiErrorDetails {
  readonly opcode: number;
  readonly failure: ScsiFailure;
  readonly status: number;
  readonly sense?: SenseData;
  readonly hostStatus?: number;
  readonly driverStatus?: number;
  readonly device?: string;
}

/** NOT READY causes that clear by themselves (becoming ready, operation or long write in progress). */
function isTransientNotReady(s: SenseData): boolean {
  return s.key === SENSE_KEY.notReady && s.asc === 0x04 && [0x00, 0x01, 0x04, 0x07, 0x08].includes(s.ascq);
}

export class ScsiError extends DiscfsError {
  readonly opcode: number;
  readonly opcodeName: string;
  readonly failure: ScsiFailure;
  readonly senseKey?: number;
  readonly asc?: number;
  readonly ascq?: number;
  /** Retrying the same command later may succeed (drive becoming ready, unit attention, busy). */
  readonly recoverable: boolean;
  readonly sense?: SenseData;

  constructor(details: ScsiErrorDetails, options?: { cause?: unknown }) {
    const name = opcodeName(details.opcode);
    const s = details.sense;
    const reason = s
      ? `${senseMessage(s.key, s.asc, s.ascq)} (${senseKeyName(s.key)}, ${senseTriple(s.key, s.asc, s.ascq)})`
      : describeNoSense(details);
    const where = details.device ? `${details.device}: ` : '';
    super(codeFor(details), `${where}${name} failed: ${reason}`, {
      opcode: details.opcode,
      opcodeName: name,
      status: details.status,
      senseKey: s?.key,
      asc: s?.asc,
      ascq: s?.ascq,
      information: s?.information,
      device: details.device,
    }, options);
    this.name = 'ScsiError';
    this.opcode = details.opcode;
    this.opcodeName = name;
    this.failure = details.failure;
    this.sense = s;
    this.senseKey = s?.key;
    this.asc = s?.asc;
    this.ascq = s?.ascq;
    this.recoverable = isRecoverable(details);
  }

  /** True for key/ASC/ASCQ; ascq omitted matches any qualifier. */
  is(key: number, asc?: number, ascq?: number): boolean {
    if (this.senseKey !== key) return false;
    if (asc !== undefined && this.asc !== asc) return false;
    return ascq === undefined || this.ascq === ascq;
  }

  get isNoMedium(): boolean {
    return this.is(SENSE_KEY.notReady, 0x3a);
  }
  get isBecomingReady(): boolean {
    return this.sense !== undefined && isTransientNotReady(this.sense);
  }
  get isUnitAttention(): boolean {
    return this.senseKey === SENSE_KEY.unitAttention;
  }
  get isInvalidOpcode(): boolean {
    return this.is(SENSE_KEY.illegalRequest, 0x20, 0x00);
  }
}

function codeFor(d: ScsiErrorDetails): string {
  if (d.failure === 'transport') return 'SCSI_TRANSPORT';
  if (d.sense?.key === SENSE_KEY.notReady && d.sense.asc === 0x3a) return 'SCSI_NO_MEDIUM';
  return d.failure === 'check-condition' ? 'SCSI_CHECK_CONDITION' : 'SCSI_STATUS';
}

function describeNoSense(d: ScsiErrorDetails): string {
  switch (d.failure) {
    case 'busy': return 'device busy';
    case 'reservation-conflict': return 'reservation conflict (another initiator holds the drive)';
    case 'transport': return `transport failure (host status ${d.hostStatus ?? 0}, driver status ${d.driverStatus ?? 0})`;
    case 'check-condition': return 'CHECK CONDITION without sense data';
    default: return `SCSI status 0x${d.status.toString(16)}`;
  }
}

function isRecoverable(d: ScsiErrorDetails): boolean {
  if (d.failure === 'busy' || d.status === SCSI_STATUS.taskSetFull) return true;
  const s = d.sense;
  if (!s) return false;
  return s.key === SENSE_KEY.unitAttention || isTransientNotReady(s) || s.key === SENSE_KEY.abortedCommand;
}
