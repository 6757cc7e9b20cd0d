// The one SCSI pass-through contract (SPC-4 4.2 command model): a CDB goes out, status, sense and data come back.

export type DataDirection = 'none' | 'in' | 'out';

/** What one command returned; CHECK CONDITION is a result here, not an exception (decoding is the caller's job). */
export interface ScsiResult {
  /** SCSI status byte (SAM-5 5.3): 00h GOOD, 02h CHECK CONDITION, 08h BUSY, 18h RESERVATION CONFLICT. */
  readonly status: number;
  /** Sense key when sense data came back (convenience; sense.ts decodes the full buffer). */
  readonly senseKey?: number;
  /** Raw sense data, at most 64 bytes, possibly empty. */
  readonly sense: Buffer;
  /** Bytes of the data buffer NOT transferred (0 when the transport cannot tell, e.g. padded replies). */
  readonly residual: number;
  /** Host adapter status (Linux DID_*), 0 when fine. */
  readonly hostStatus: number;
  /** Driver status (Linux DRIVER_*), 0 or 08h (DRIVER_SENSE) when fine. */
  readonly driverStatus: number;
  readonly durationMs: number;
}

export interface Transport {
  /** Human description for messages, e.g. "/dev/sr0" or "model DVD+R". */
  readonly description: string;
  /**
   * Issues one command. `data` is the buffer filled ('in') or sent ('out'); null for 'none'.
   * Rejects only when the command could not be issued at all (bad fd, transport gone).
   */
  execute(cdb: Buffer, direction: DataDirection, data: Buffer | null, timeoutMs: number): Promise<ScsiResult>;
  close(): Promise<void>;
}

export const SCSI_STATUS = {
  good: 0x00,
  checkCondition: 0x02,
  conditionMet: 0x04,
  busy: 0x08,
  reservationConflict: 0x18,
  taskSetFull: 0x28,
} as const;
