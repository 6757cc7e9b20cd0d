// READ(10)/READ(12) and WRITE(10)/WRITE(12) of 2048-byte logical blocks (MMC-5 6.15, 6.16, 6.44, 6.45).
import { cdb, putU16, putU32 } from './bytes';
import { LONG_TIMEOUT_MS, runCommand } from './command';
import { OPCODE } from './opcodes';
import { Transport } from './transport';

export const LOGICAL_BLOCK = 2048;
/** READ(10)/WRITE(10) count blocks in 16 bits; beyond that the 12-byte forms are used. */
const MAX_10_BYTE_BLOCKS = 0xffff;

export interface TransferOptions {
  /** Force Unit Access: bypass the drive cache (verification reads). */
  readonly forceUnitAccess?: boolean;
  /** Streaming bit of the 12-byte CDBs: favour throughput over defect management (BD/DVD-RAM). */
  readonly streaming?: boolean;
  readonly blockSize?: number;
}

function transferCdb(opcode10: number, opcode12: number, lba: number, blocks: number, o: TransferOptions): Buffer {
  const use12 = blocks > MAX_10_BYTE_BLOCKS || o.streaming === true;
  const b = cdb(use12 ? opcode12 : opcode10, use12 ? 12 : 10);
  if (o.forceUnitAccess) b[1] |= 0x08;
  putU32(b, 2, lba, 'LBA');
  if (use12) {
    putU32(b, 6, blocks, 'transfer length');
    if (o.streaming) b[10] |= 0x80;
  } else {
    putU16(b, 7, blocks, 'transfer length');
  }
  return b;
}

export function buildRead(lba: number, blocks: number, options: TransferOptions = {}): Buffer {
  return transferCdb(OPCODE.read10, OPCODE.read12, lba, blocks, options);
}

export function buildWrite(lba: number, blocks: number, options: TransferOptions = {}): Buffer {
  return transferCdb(OPCODE.write10, OPCODE.write12, lba, blocks, options);
}

export async function readBlocks(t: Transport, lba: number, blocks: number, options: TransferOptions = {}): Promise<Buffer> {
  const size = options.blockSize ?? LOGICAL_BLOCK;
  const data = await runCommand(t, { cdb: buildRead(lba, blocks, options), receive: blocks * size, timeoutMs: LONG_TIMEOUT_MS });
  if (data.length !== blocks * size) {
    throw new RangeError(`READ at LBA ${lba}: got ${data.length} of ${blocks * size} bytes`);
  }
  return data;
}

/** Writes whole blocks; `data.length` must be a multiple of the block size. */
export async function writeBlocks(t: Transport, lba: number, data: Buffer, options: TransferOptions = {}): Promise<void> {
  const size = options.blockSize ?? LOGICAL_BLOCK;
  if (data.length === 0 || data.length % size !== 0) {
    throw new RangeError(`WRITE at LBA ${lba}: ${data.length} bytes is not a positive multiple of ${size}`);
  }
  await runCommand(t, { cdb: buildWrite(lba, data.length / size, options), send: data, timeoutMs: LONG_TIMEOUT_MS });
}
