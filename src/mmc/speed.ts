// Speed control: SET CD SPEED (MMC-5 6.37), SET STREAMING performance descriptor (6.39.2.1), GET PERFORMANCE types 00h/03h (6.8).
import { cdb, putU16, putU32, ReplyView } from './bytes';
import { runCommand } from './command';
import { OPCODE } from './opcodes';
import { Transport } from './transport';

/** FFFFh in SET CD SPEED: "as fast as the drive can". */
export const MAX_SPEED = 0xffff;
const PERFORMANCE_DESCRIPTOR = 28;
const GET_PERFORMANCE_HEADER = 8;
const GET_PERFORMANCE_DESCRIPTOR = 16;
export const GET_PERFORMANCE_TYPE = { performance: 0x00, writeSpeed: 0x03 } as const;

export function buildSetCdSpeed(readKBps: number = MAX_SPEED, writeKBps: number = MAX_SPEED): Buffer {
  const b = cdb(OPCODE.setCdSpeed, 12);
  putU16(b, 2, Math.min(readKBps, MAX_SPEED), 'read speed');
  putU16(b, 4, Math.min(writeKBps, MAX_SPEED), 'write speed');
  return b;
}

export interface StreamingRequest {
  readonly startLba: number;
  readonly endLba: number;
  readonly readKBps: number;
  readonly writeKBps: number;
  /** Restore the drive's defaults instead (RDD). */
  readonly restoreDefaults?: boolean;
}

export function buildSetStreaming(parameterListLength = PERFORMANCE_DESCRIPTOR): Buffer {
  const b = cdb(OPCODE.setStreaming, 12);
  b[8] = 0x00; // Type 0: performance descriptor.
  putU16(b, 9, parameterListLength, 'parameter list length');
  return b;
}

/** Speeds are expressed as kB per 1000 ms, which is what the descriptor's size/time pairs mean. */
export function encodePerformanceDescriptor(r: StreamingRequest): Buffer {
  const d = Buffer.alloc(PERFORMANCE_DESCRIPTOR);
  if (r.restoreDefaults) d[0] |= 0x04;
  putU32(d, 4, r.startLba, 'start LBA');
  putU32(d, 8, r.endLba, 'end LBA');
  putU32(d, 12, r.readKBps, 'read size');
  putU32(d, 16, 1000, 'read time');
  putU32(d, 20, r.writeKBps, 'write size');
  putU32(d, 24, 1000, 'write time');
  return d;
}

export function buildGetPerformance(type: number, maxDescriptors: number, options: { write?: boolean; startLba?: number } = {}): Buffer {
  const b = cdb(OPCODE.getPerformance, 12);
  // Type 0 wants Tolerance 10b (nominal 10%) and the Write bit; type 3 ignores byte 1.
  if (type === GET_PERFORMANCE_TYPE.performance) b[1] = 0x10 | (options.write ? 0x04 : 0);
  putU32(b, 2, options.startLba ?? 0, 'starting LBA');
  putU16(b, 8, maxDescriptors, 'maximum number of descriptors');
  b[10] = type;
  return b;
}

export interface WriteSpeedDescriptor {
  readonly endLba: number;
  readonly readKBps: number;
  readonly writeKBps: number;
  readonly exact: boolean;
}

export interface PerformanceDescriptor {
  readonly startLba: number;
  readonly startKBps: number;
  readonly endLba: number;
  readonly endKBps: number;
}

function descriptorViews(reply: Buffer): ReplyView[] {
  const v = ReplyView.byLengthField('GET PERFORMANCE', reply, 0, 4);
  v.require(GET_PERFORMANCE_HEADER, 'performance header');
  const out: ReplyView[] = [];
  for (let p = GET_PERFORMANCE_HEADER; v.has(p, GET_PERFORMANCE_DESCRIPTOR); p += GET_PERFORMANCE_DESCRIPTOR) {
    out.push(v.view(p, GET_PERFORMANCE_DESCRIPTOR));
  }
  return out;
}

export function parseWriteSpeeds(reply: Buffer): WriteSpeedDescriptor[] {
  return descriptorViews(reply).map((d) => ({ exact: d.bit(0, 1), endLba: d.u32(4), readKBps: d.u32(8), writeKBps: d.u32(12) }));
}

export function parsePerformance(reply: Buffer): PerformanceDescriptor[] {
  return descriptorViews(reply).map((d) => ({ startLba: d.u32(0), startKBps: d.u32(4), endLba: d.u32(8), endKBps: d.u32(12) }));
}

export async function setCdSpeed(t: Transport, readKBps?: number, writeKBps?: number): Promise<void> {
  await runCommand(t, { cdb: buildSetCdSpeed(readKBps, writeKBps) });
}

export async function setStreaming(t: Transport, r: StreamingRequest): Promise<void> {
  await runCommand(t, { cdb: buildSetStreaming(), send: encodePerformanceDescriptor(r) });
}

export async function getWriteSpeeds(t: Transport, maxDescriptors = 32): Promise<WriteSpeedDescriptor[]> {
  const receive = GET_PERFORMANCE_HEADER + maxDescriptors * GET_PERFORMANCE_DESCRIPTOR;
  const reply = await runCommand(t, { cdb: buildGetPerformance(GET_PERFORMANCE_TYPE.writeSpeed, maxDescriptors), receive });
  return parseWriteSpeeds(reply);
}
