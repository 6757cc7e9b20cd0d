// SUSP 1.12 (IEEE P1281) 5.1-5.5: System Use entries, SP, CE continuation chains, PD, ST and ER.

import { requireBytes } from './bounds';
import { readBoth32, writeBoth32 } from './both-endian';

export const SUSP_HEADER_LENGTH = 4;
export const SP_CHECK_BYTES = [0xbe, 0xef] as const;
/** Chain limits: a hostile CE chain once looped the Linux kernel (fs/isofs/rock.c RR_MAX_CE_ENTRIES). */
export const SUSP_LIMITS = { maxContinuations: 32, maxContinuationBytes: 64 * 1024 } as const;

export interface SuspEntry {
  /** Two-character signature, e.g. "PX". */
  signature: string;
  version: number;
  /** Bytes after the 4-byte header, bounded by the entry's own length. */
  data: Buffer;
}

/** SUSP 5.1 CE: where the next part of the System Use field is. */
export interface ContinuationArea {
  lba: number;
  offset: number;
  length: number;
}

export interface SuspAreaParse {
  entries: SuspEntry[];
  continuation?: ContinuationArea;
  /** ST seen: no further entries, not even from a continuation. */
  terminated: boolean;
  defects: string[];
}

/** Parses one System Use field or continuation area. Length < 4 (also 0) or past the end stops parsing. */
export function parseSuspArea(area: Buffer): SuspAreaParse {
  const entries: SuspEntry[] = [];
  const defects: string[] = [];
  let continuation: ContinuationArea | undefined;
  let offset = 0;
  while (offset + SUSP_HEADER_LENGTH <= area.length) {
    const length = area[offset + 2];
    const signature = area.toString('latin1', offset, offset + 2);
    if (length < SUSP_HEADER_LENGTH) {
      // A zero first byte is the usual padding of a record; anything else with a bad length is a defect.
      if (area[offset] !== 0) defects.push(`SUSP entry "${printable(signature)}" has length ${length}`);
      break;
    }
    if (offset + length > area.length) {
      defects.push(`SUSP entry "${printable(signature)}" (length ${length}) runs past its area`);
      break;
    }
    const entry = { signature, version: area[offset + 3], data: area.subarray(offset + SUSP_HEADER_LENGTH, offset + length) };
    offset += length;
    if (signature === 'ST') return { entries, continuation, terminated: true, defects };
    if (signature === 'PD') continue;
    if (signature === 'CE') {
      const ce = decodeContinuation(entry);
      if (ce === undefined) defects.push('CE entry is too short');
      else continuation = ce;
      continue;
    }
    entries.push(entry);
  }
  return { entries, continuation, terminated: false, defects };
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}

/** SUSP 5.1: CE block location, offset and length, each both-byte-order 32 bit. */
export function decodeContinuation(entry: SuspEntry): ContinuationArea | undefined {
  if (entry.data.length < 24) return undefined;
  return {
    lba: readBoth32(entry.data, 0, 'CE location').value,
    offset: readBoth32(entry.data, 8, 'CE offset').value,
    length: readBoth32(entry.data, 16, 'CE length').value,
  };
}

/** SUSP 5.3 SP: present in the root's "." record; returns the skip length, or undefined when not a valid SP. */
export function decodeSharingProtocol(entry: SuspEntry): number | undefined {
  if (entry.signature !== 'SP' || entry.data.length < 3) return undefined;
  if (entry.data[0] !== SP_CHECK_BYTES[0] || entry.data[1] !== SP_CHECK_BYTES[1]) return undefined;
  return entry.data[2];
}

export interface ExtensionReference {
  identifier: string;
  descriptor: string;
  source: string;
  version: number;
}

/** SUSP 5.5 ER: identifies an extension (e.g. "RRIP_1991A", "IEEE_P1282"). */
export function decodeExtensionReference(entry: SuspEntry): ExtensionReference | undefined {
  const d = entry.data;
  if (entry.signature !== 'ER' || d.length < 4) return undefined;
  const [idLen, desLen, srcLen, version] = d;
  if (4 + idLen + desLen + srcLen > d.length) return undefined;
  requireBytes(d, 4, idLen + desLen + srcLen, 'ER texts');
  return {
    identifier: d.toString('latin1', 4, 4 + idLen),
    descriptor: d.toString('latin1', 4 + idLen, 4 + idLen + desLen),
    source: d.toString('latin1', 4 + idLen + desLen, 4 + idLen + desLen + srcLen),
    version,
  };
}

/** Reads `length` bytes at byte `offset` of block `lba`; rejects when outside the medium. */
export type ContinuationReader = (lba: number, offset: number, length: number) => Promise<Buffer>;

export interface CollectedSusp {
  entries: SuspEntry[];
  defects: string[];
}

/**
 * All entries of a System Use field and its CE chain. The chain is capped in count and bytes and
 * a visited set stops a CE that points back into the chain; an unreadable area ends the chain.
 */
export async function collectSuspEntries(systemUse: Buffer, readContinuation: ContinuationReader): Promise<CollectedSusp> {
  const entries: SuspEntry[] = [];
  const defects: string[] = [];
  const visited = new Set<string>();
  let area = systemUse;
  let totalBytes = 0;
  for (;;) {
    const parsed = parseSuspArea(area);
    entries.push(...parsed.entries);
    defects.push(...parsed.defects);
    const ce = parsed.continuation;
    if (parsed.terminated || ce === undefined) break;
    const key = `${ce.lba}:${ce.offset}`;
    if (visited.has(key)) {
      defects.push(`CE points back into its own chain (block ${ce.lba}, offset ${ce.offset})`);
      break;
    }
    if (visited.size >= SUSP_LIMITS.maxContinuations || totalBytes + ce.length > SUSP_LIMITS.maxContinuationBytes) {
      defects.push(`CE chain exceeds ${SUSP_LIMITS.maxContinuations} areas or ${SUSP_LIMITS.maxContinuationBytes} bytes`);
      break;
    }
    visited.add(key);
    totalBytes += ce.length;
    try {
      area = await readContinuation(ce.lba, ce.offset, ce.length);
    } catch (e) {
      defects.push(`CE area (block ${ce.lba}, offset ${ce.offset}, length ${ce.length}) cannot be read: ${(e as Error).message}`);
      break;
    }
  }
  return { entries, defects };
}

// ---- Encoders (engine) ----

/** SUSP 4.1: an entry never exceeds 255 bytes (one length byte). */
export const MAX_SUSP_ENTRY_LENGTH = 255;
/** SUSP 5.1: CE entry length. */
export const CE_ENTRY_LENGTH = 28;

/** SUSP 4.1: signature, length, version, data. */
export function encodeSuspEntry(signature: string, version: number, data: Buffer): Buffer {
  const length = SUSP_HEADER_LENGTH + data.length;
  if (length > MAX_SUSP_ENTRY_LENGTH || signature.length !== 2) {
    throw new RangeError(`SUSP entry "${signature}" of ${length} bytes cannot be encoded`);
  }
  const buf = Buffer.alloc(length);
  buf.write(signature, 0, 'latin1');
  buf[2] = length;
  buf[3] = version;
  data.copy(buf, SUSP_HEADER_LENGTH);
  return buf;
}

/** SUSP 5.3 SP with skip length 0. */
export function encodeSharingProtocol(): Buffer {
  return encodeSuspEntry('SP', 1, Buffer.from([SP_CHECK_BYTES[0], SP_CHECK_BYTES[1], 0]));
}

/** SUSP 5.1 CE. */
export function encodeContinuation(area: ContinuationArea): Buffer {
  const data = Buffer.alloc(24);
  writeBoth32(data, 0, area.lba);
  writeBoth32(data, 8, area.offset);
  writeBoth32(data, 16, area.length);
  return encodeSuspEntry('CE', 1, data);
}

/** SUSP 5.5 ER. */
export function encodeExtensionReference(er: ExtensionReference): Buffer {
  const id = Buffer.from(er.identifier, 'latin1');
  const des = Buffer.from(er.descriptor, 'latin1');
  const src = Buffer.from(er.source, 'latin1');
  return encodeSuspEntry('ER', 1, Buffer.concat([Buffer.from([id.length, des.length, src.length, er.version]), id, des, src]));
}
