// The SG_IO addon and SgTransport on a host without /dev/sg*: clear refusals, errno errors, work off the main thread.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { loadSgAddon, SgIoAddon } from '../../src/mmc/sg-addon';
import { describeOpenError, groupName, isScsiDiskPath, SgTransport } from '../../src/mmc/sg-transport';
import { DiscfsError } from '../../src/util/errors';

describe('SG_IO addon', () => {
  let addon: SgIoAddon;
  let devNull = -1;
  before(() => {
    addon = loadSgAddon();
    devNull = fs.openSync('/dev/null', 'r');
  });
  after(() => {
    if (devNull >= 0) fs.closeSync(devNull);
  });

  it('refuses /dev/null (no SG_IO) with ENOTTY and a message naming the path', () => {
    assert.throws(() => addon.open('/dev/null'), (e: NodeJS.ErrnoException) =>
      e.code === 'ENOTTY' && /\/dev\/null does not speak SCSI generic/.test(e.message));
  });
  it('refuses regular files and reports ENOENT with its errno code', () => {
    assert.throws(() => addon.open('/etc/hostname'), (e: NodeJS.ErrnoException) => e.code === 'ENOTTY' && /not a device node/.test(e.message));
    assert.throws(() => addon.open('/nonexistent/sr9'), (e: NodeJS.ErrnoException) => e.code === 'ENOENT' && e.syscall === 'open');
  });
  it('execute on a non-sg fd rejects with ENOTTY instead of crashing; bad fd gives EBADF', async () => {
    await assert.rejects(addon.execute(devNull, Buffer.alloc(6), 'none', null, 1000), (e: NodeJS.ErrnoException) => e.code === 'ENOTTY');
    await assert.rejects(addon.execute(devNull, Buffer.from([0x12, 0, 0, 0, 36, 0]), 'in', Buffer.alloc(36), 1000),
      (e: NodeJS.ErrnoException) => e.code === 'ENOTTY' || e.code === 'EINVAL');
    await assert.rejects(addon.execute(1 << 20, Buffer.alloc(6), 'none', null, 1000), (e: NodeJS.ErrnoException) => e.code === 'EBADF');
  });
  it('validates arguments synchronously', () => {
    assert.throws(() => addon.execute(devNull, Buffer.alloc(3), 'none', null, 1000), RangeError);
    assert.throws(() => addon.execute(devNull, Buffer.alloc(6), 'sideways' as 'none', null, 1000), TypeError);
    assert.throws(() => addon.execute(devNull, Buffer.alloc(6), 'in', null, 1000), TypeError);
    assert.throws(() => addon.execute(devNull, Buffer.alloc(6), 'none', null, 0), RangeError);
  });
  it('runs the ioctl in a worker: execute returns at once and timers keep firing while calls are pending', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    try {
      const calls = Array.from({ length: 400 }, () => addon.execute(devNull, Buffer.alloc(10), 'in', Buffer.alloc(4096), 1000).catch((e: Error) => e));
      assert.equal(ticks, 0, 'no tick can happen inside synchronous code');
      const results = await Promise.all(calls);
      assert.ok(results.every((r) => r instanceof Error));
      await new Promise((resolve) => setTimeout(resolve, 5));
      assert.ok(ticks > 0, 'the event loop kept running');
    } finally {
      clearInterval(timer);
    }
  });
});

describe('SgTransport.open refusals', () => {
  it('refuses /dev/sd* by name before opening anything', async () => {
    await assert.rejects(SgTransport.open('/dev/sda'), (e: unknown) =>
      e instanceof DiscfsError && e.code === 'NOT_OPTICAL_DRIVE' && e.message === '/dev/sda is a SCSI disk, not an optical drive');
    assert.equal(isScsiDiskPath('/dev/sdb3'), true);
    assert.equal(isScsiDiskPath('/dev/sr0'), false);
  });
  it('refuses a device without SG_IO with the addon cause attached', async () => {
    await assert.rejects(SgTransport.open('/dev/null'), (e: unknown) =>
      e instanceof DiscfsError && e.code === 'DEVICE_OPEN' && /does not speak SCSI generic/.test(e.message));
  });
  it('maps EACCES to the owning group and the usermod fix', () => {
    const gid = fs.statSync('/dev/null').gid;
    const group = groupName(gid);
    const err = Object.assign(new Error('open /dev/null: Permission denied'), { code: 'EACCES' });
    const e = describeOpenError('/dev/null', err);
    assert.equal(e.code, 'DEVICE_PERMISSION');
    assert.ok(e.message.includes(`belongs to group '${group}'`), e.message);
    assert.ok(e.message.includes(`usermod -aG ${group} $USER`), e.message);
    assert.equal(e.cause, err);
  });
  it('reads group names from a group file', (t) => {
    const file = `/tmp/discfs-group-${process.pid}`;
    fs.writeFileSync(file, 'root:x:0:\ncdrom:x:24:alice\n');
    t.after(() => fs.rmSync(file, { force: true }));
    assert.equal(groupName(24, file), 'cdrom');
    assert.equal(groupName(99, file), '99');
  });
});
