// Hostile images: bytes of a small genisoimage -R -J image patched per case (docs/hostile-input.md lists each).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openImageFile } from '../../src/medium/image-file';
import { openVolume, type IsoVolume, type VolumeView } from '../../src/tree/iso-volume';
import { DiscfsError } from '../../src/util/errors';
import { content, findRecord, removeDir, run, tempDir, walkTree, writeBoth32, writeTree, type WalkedEntry } from './iso-fixtures';

let dir: string;
let base: Buffer;
let counter = 0;

before(() => {
  dir = tempDir('hostile');
  const tree = path.join(dir, 'tree');
  writeTree(tree, {
    'file.txt': content('file', 3000),
    ab: content('ab', 10),
    cd: content('cd', 10),
    xyz: content('xyz', 10),
    nul: content('nul', 10),
    'sub/inner.txt': content('inner', 100),
    'sub/deeper/x.txt': content('x', 10),
    lnk: { symlink: 'target' },
    'zz.txt': content('zz', 10),
  });
  const image = path.join(dir, 'base.iso');
  run('genisoimage', ['-quiet', '-R', '-J', '-o', image, tree]);
  base = fs.readFileSync(image);
});
after(() => removeDir(dir));

interface Outcome {
  volume: IsoVolume;
  walked: Map<string, WalkedEntry>;
  warnings: string[];
}

async function openPatched(patch: (img: Buffer) => Buffer | void, view?: VolumeView): Promise<Outcome> {
  const img = Buffer.from(base);
  const out = patch(img) ?? img;
  const file = path.join(dir, `case${counter++}.iso`);
  fs.writeFileSync(file, out);
  const medium = await openImageFile(file);
  try {
    const volume = await openVolume(medium, view ? { view } : {});
    const walked = await walkTree(volume);
    return { volume, walked, warnings: [...volume.warnings] };
  } finally {
    await medium.close();
  }
}

function suspEntry(img: Buffer, record: number, signature: string): number {
  const at = img.indexOf(signature, record + 33, 'latin1');
  assert.ok(at > record && at < record + img[record], `${signature} inside the record`);
  return at;
}

function hasWarning(o: Outcome, re: RegExp): void {
  assert.ok(o.warnings.some((w) => re.test(w)), `no warning ${re} in ${JSON.stringify(o.warnings)}`);
}

function ucs2(name: string): string {
  return Buffer.from(name, 'utf16le').swap16().toString('latin1');
}

async function refused(patch: (img: Buffer) => Buffer | void, field: string): Promise<void> {
  await assert.rejects(openPatched(patch), (e: unknown) => e instanceof DiscfsError && e.data.field === field);
}

describe('hostile directory structure', () => {
  it('a directory pointing at an ancestor is shown empty (loop closed)', async () => {
    const o = await openPatched((img) => {
      const root = img.readUInt32LE(16 * 2048 + 156 + 2);
      const deeper = findRecord(img, 'DEEPER');
      writeBoth32(img, deeper + 2, root);
    }, 'iso9660');
    assert.equal((await o.volume.list(o.walked.get('/SUB/DEEPER')!.node)).length, 0);
    hasWarning(o, /\/SUB\/DEEPER: .*already shown as \/ \(loop or alias\)/);
  });

  it('extents beyond the image end: file reads fail with EIO, directory is empty', async () => {
    const o = await openPatched((img) => {
      writeBoth32(img, findRecord(img, 'FILE.TXT;1') + 2, 0x7fff0000);
      writeBoth32(img, findRecord(img, 'DEEPER') + 2, 0x7fff0000);
    }, 'iso9660');
    assert.equal(o.walked.get('/FILE.TXT')!.error, 'EIO');
    hasWarning(o, /\/FILE.TXT: extent at block .* beyond the medium end/);
    hasWarning(o, /\/SUB\/DEEPER: directory extent .* beyond the medium end/);
  });

  it('Data Length 0xFFFFFFFF on a file and on a directory', async () => {
    const o = await openPatched((img) => {
      writeBoth32(img, findRecord(img, 'FILE.TXT;1') + 10, 0xffffffff);
      writeBoth32(img, findRecord(img, 'DEEPER') + 10, 0xffffffff);
    }, 'iso9660');
    assert.equal(o.walked.get('/FILE.TXT')!.error, 'EIO');
    assert.ok(!o.walked.has('/SUB/DEEPER/X.TXT'));
    hasWarning(o, /\/SUB\/DEEPER: directory extent/);
  });

  it('a too-short record is reported and the rest of its sector skipped', async () => {
    const o = await openPatched((img) => {
      img[findRecord(img, 'AB.;1')] = 20;
    }, 'iso9660');
    hasWarning(o, /^\/: record at byte \d+: record length 20 is shorter than 34/);
  });

  it('a record crossing its sector end is reported', async () => {
    const o = await openPatched((img) => {
      // The directory's recorded end falls inside the record: the same check as a sector boundary.
      const inner = findRecord(img, 'INNER.TXT;1');
      writeBoth32(img, findRecord(img, 'SUB') + 10, (inner % 2048) + 20);
    }, 'iso9660');
    hasWarning(o, /^\/SUB: record at byte \d+ \(length \d+\) crosses the sector boundary/);
  });

  it('an identifier length beyond its record is reported', async () => {
    const o = await openPatched((img) => {
      img[findRecord(img, 'INNER.TXT;1') + 32] = 200;
    }, 'iso9660');
    hasWarning(o, /^\/SUB: .*identifier length 200 runs past the record end/);
    assert.ok(o.walked.has('/SUB/DEEPER') || o.warnings.length > 0);
  });

  it('Multi-Extent followed by a different file, and by nothing', async () => {
    const o = await openPatched((img) => {
      img[findRecord(img, 'FILE.TXT;1') + 25] |= 0x80;
      img[findRecord(img, 'ZZ.TXT;1') + 25] |= 0x80;
    }, 'iso9660');
    hasWarning(o, /Multi-Extent file "FILE.TXT;1" is followed by a different file/);
    hasWarning(o, /Multi-Extent file "ZZ.TXT;1" is followed by nothing/);
    assert.ok(o.walked.get('/FILE.TXT')!.data!.equals(content('file', 3000)));
  });

  it('garbage path tables only warn', async () => {
    const o = await openPatched((img) => {
      const l = img.readUInt32LE(16 * 2048 + 140);
      img.fill(0xff, l * 2048, l * 2048 + 64);
    });
    hasWarning(o, /\(path table\): type L/);
    assert.ok(o.walked.get('/file.txt')!.data!.equals(content('file', 3000)));
  });
});

describe('hostile SUSP / Rock Ridge / Joliet', () => {
  it('CE pointing at itself and CE out of range: no hang, warnings', async () => {
    const o = await openPatched((img) => {
      for (const [name, lba] of [['AB.;1', -1], ['CD.;1', 0x7ffffff0]] as const) {
        const rec = findRecord(img, name);
        const px = suspEntry(img, rec, 'PX');
        const ceLba = lba === -1 ? Math.floor(rec / 2048) : lba;
        img.write('CE', px, 'latin1');
        img[px + 2] = 28;
        img[px + 3] = 1;
        writeBoth32(img, px + 4, ceLba);
        writeBoth32(img, px + 12, lba === -1 ? rec % 2048 : 0);
        writeBoth32(img, px + 20, img[rec]);
        img.write('PD', px + 28, 'latin1');
        img[px + 30] = 8;
        img[px + 31] = 1;
      }
    });
    hasWarning(o, /CE points back into its own chain|SUSP entry/);
    hasWarning(o, /CE area \(block 2147483632/);
    assert.ok(o.walked.has('/ab') && o.walked.has('/cd'));
  });

  it('SUSP entries of length 0 stop parsing', async () => {
    const o = await openPatched((img) => {
      const rec = findRecord(img, 'XYZ.;1');
      img[suspEntry(img, rec, 'PX') + 2] = 0;
    });
    hasWarning(o, /SUSP entry "PX" has length 0/);
    assert.equal(o.walked.get('/XYZ')?.node.attrs.mode ?? o.walked.get('/xyz')!.node.attrs.mode, 0o100444);
  });

  it('Rock Ridge names "..", with "/" and with NUL are skipped with a warning', async () => {
    const o = await openPatched((img) => {
      img.write('..', suspEntry(img, findRecord(img, 'CD.;1'), 'NM') + 5, 'latin1');
      img.write('x/z', suspEntry(img, findRecord(img, 'XYZ.;1'), 'NM') + 5, 'latin1');
      img.write('n\0l', suspEntry(img, findRecord(img, 'NUL.;1'), 'NM') + 5, 'latin1');
    });
    hasWarning(o, /name "\.\.": entry skipped/);
    hasWarning(o, /name contains "\/": entry skipped/);
    hasWarning(o, /name contains NUL: entry skipped/);
    assert.deepEqual([...o.walked.keys()].filter((p) => !p.includes('/', 1)).sort(), ['/ab', '/file.txt', '/lnk', '/sub', '/zz.txt']);
  });

  it('SL component longer than its entry', async () => {
    const o = await openPatched((img) => {
      const sl = suspEntry(img, findRecord(img, 'LNK.;1'), 'SL');
      img[sl + 6] = 200;
    });
    hasWarning(o, /\/lnk: .*SL component of length 200 runs past its entry/);
  });

  it('odd-length Joliet names are reported', async () => {
    const o = await openPatched((img) => {
      const rec = findRecord(img, ucs2('ab'));
      img[rec + 32] = 3;
    }, 'joliet');
    hasWarning(o, /odd identifier length 3/);
  });
});

describe('unusable volumes are refused, naming the field', () => {
  it('Volume Space Size 0', () => refused((img) => writeBoth32(img, 16 * 2048 + 80, 0), 'volumeSpaceSize'));
  it('Logical Block Size 0', () => refused((img) => { img.writeUInt16LE(0, 16 * 2048 + 128); img.writeUInt16BE(0, 16 * 2048 + 130); }, 'logicalBlockSize'));
  it('Logical Block Size 65535', () => refused((img) => { img.writeUInt16LE(65535, 16 * 2048 + 128); img.writeUInt16BE(65535, 16 * 2048 + 130); }, 'logicalBlockSize'));
  it('image shorter than its descriptors claim', () => refused((img) => img.subarray(0, img.length - 4096), 'volumeSpaceSize'));
  it('no descriptor at all', () => refused((img) => { img.fill(0, 16 * 2048, 17 * 2048); }, 'standardId').catch(async () => {
    await assert.rejects(openPatched((img) => { img.fill(0, 16 * 2048, 17 * 2048); }), DiscfsError);
  }));

  it('image truncated mid-directory (size fields patched to match): warning, EIO, no crash', async () => {
    const o = await openPatched((img) => {
      const sub = findRecord(img, 'SUB');
      const end = img.readUInt32LE(sub + 2) + 0;
      writeBoth32(img, 16 * 2048 + 80, end);
      return img.subarray(0, end * 2048);
    }, 'iso9660');
    hasWarning(o, /\/SUB: directory extent .* beyond the medium end/);
    assert.equal(o.walked.get('/FILE.TXT')?.error ?? 'EIO', 'EIO');
  });
});
