// ECMA-119 7.5 / 9.1.11: file identifiers "NAME.EXT;VERSION": the version and a trailing "." are not part of the name.

/** Strips ";N" and then one trailing "." (an empty extension), as Linux isofs and libisofs show names. */
export function isoDisplayName(identifier: Buffer): Buffer {
  let end = identifier.length;
  const semicolon = identifier.lastIndexOf(0x3b);
  if (semicolon > 0) {
    const version = identifier.subarray(semicolon + 1);
    if (version.every((c) => c >= 0x30 && c <= 0x39)) end = semicolon;
  }
  if (end > 1 && identifier[end - 1] === 0x2e) end--;
  return Buffer.from(identifier.subarray(0, end));
}
