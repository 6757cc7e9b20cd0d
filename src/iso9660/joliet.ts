// Joliet specification (Microsoft, 1995) 3.1: identifiers in UCS-2 big-endian; UTF-16 surrogate pairs become one character.

export interface JolietName {
  /** The name as UTF-8 bytes. */
  name: Buffer;
  defects: string[];
}

/**
 * Decodes a Joliet identifier. Odd length and lone surrogates are defects; the bad unit becomes U+FFFD.
 * File names carry a ";N" version (as ISO 9660 names do): `stripVersion` removes it.
 */
export function decodeJolietName(identifier: Buffer, stripVersion = false): JolietName {
  const defects: string[] = [];
  const units = Math.floor(identifier.length / 2);
  if (identifier.length % 2 !== 0) defects.push(`odd identifier length ${identifier.length}`);
  let text = '';
  for (let i = 0; i < units; i++) {
    const u = identifier.readUInt16BE(i * 2);
    if (u >= 0xd800 && u <= 0xdbff && i + 1 < units) {
      const low = identifier.readUInt16BE(i * 2 + 2);
      if (low >= 0xdc00 && low <= 0xdfff) {
        text += String.fromCharCode(u, low);
        i++;
        continue;
      }
    }
    if (u >= 0xd800 && u <= 0xdfff) {
      defects.push(`lone surrogate U+${u.toString(16).toUpperCase()}`);
      text += '\ufffd';
      continue;
    }
    text += String.fromCharCode(u);
  }
  if (stripVersion) text = text.replace(/;[0-9]+$/, '');
  return { name: Buffer.from(text, 'utf8'), defects };
}

// ---- Encoders (engine) ----

/** Joliet 3.1: UCS-2 BE; characters beyond the BMP become UTF-16 surrogate pairs (read by Linux isofs and Windows). */
export function encodeJolietName(text: string): Buffer {
  const buf = Buffer.alloc(text.length * 2);
  for (let i = 0; i < text.length; i++) buf.writeUInt16BE(text.charCodeAt(i), i * 2);
  return buf;
}
