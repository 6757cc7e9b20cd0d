// Says what a file or medium holds when it is not ISO 9660, so "no file system" errors can name what was found.
// Magic numbers: ECMA-119 8.1 ("CD001" at byte 1 of LBA 16+), ECMA-167 2/9.1 (UDF "BEA01"/"NSR0x"), tar (POSIX
// ustar at 257), ext2/3/4 (0xEF53 at 1080), MBR (55AA at 510), GPT ("EFI PART" at 512), gzip/xz/bzip2/zstd/zip.

const HEAD = 16 * 2048 + 8 * 2048;

export type Sniffed =
  | 'empty'
  | 'zeros'
  | 'iso9660'
  | 'udf'
  | 'tar'
  | 'ext'
  | 'gpt'
  | 'mbr'
  | 'gzip'
  | 'xz'
  | 'bzip2'
  | 'zstd'
  | 'zip'
  | 'squashfs'
  | 'unknown';

export const SNIFF_BYTES = HEAD;

const DESCRIPTIONS: Record<Sniffed, string> = {
  empty: 'an empty file',
  zeros: 'only zero bytes (a blank or wiped medium)',
  iso9660: 'an ISO 9660 file system',
  udf: 'a UDF file system (not ISO 9660)',
  tar: 'a tar archive',
  ext: 'an ext2/3/4 file system',
  gpt: 'a GPT-partitioned disk image',
  mbr: 'an MBR-partitioned disk image',
  gzip: 'gzip-compressed data (decompress it first)',
  xz: 'xz-compressed data (decompress it first)',
  bzip2: 'bzip2-compressed data (decompress it first)',
  zstd: 'zstd-compressed data (decompress it first)',
  zip: 'a zip archive',
  squashfs: 'a squashfs file system',
  unknown: 'no file system discfs knows',
};

export function describeSniffed(kind: Sniffed): string {
  return DESCRIPTIONS[kind];
}

function at(buf: Buffer, offset: number, magic: string | number[]): boolean {
  const bytes = typeof magic === 'string' ? Buffer.from(magic, 'latin1') : Buffer.from(magic);
  return buf.length >= offset + bytes.length && buf.subarray(offset, offset + bytes.length).equals(bytes);
}

/** Classifies the first bytes of a medium (pass up to SNIFF_BYTES). */
export function sniff(head: Buffer): Sniffed {
  if (head.length === 0) return 'empty';
  for (let lba = 16; (lba + 1) * 2048 <= head.length; lba++) {
    const off = lba * 2048;
    if (at(head, off + 1, 'CD001')) return 'iso9660';
    if (at(head, off + 1, 'BEA01') || at(head, off + 1, 'NSR02') || at(head, off + 1, 'NSR03')) return 'udf';
  }
  if (at(head, 0, [0x1f, 0x8b])) return 'gzip';
  if (at(head, 0, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'xz';
  if (at(head, 0, 'BZh')) return 'bzip2';
  if (at(head, 0, [0x28, 0xb5, 0x2f, 0xfd])) return 'zstd';
  if (at(head, 0, 'PK\x03\x04')) return 'zip';
  if (at(head, 0, 'hsqs')) return 'squashfs';
  if (at(head, 257, 'ustar')) return 'tar';
  if (at(head, 512, 'EFI PART')) return 'gpt';
  if (at(head, 1080, [0x53, 0xef])) return 'ext';
  if (at(head, 510, [0x55, 0xaa])) return 'mbr';
  if (head.every((b) => b === 0)) return 'zeros';
  return 'unknown';
}
