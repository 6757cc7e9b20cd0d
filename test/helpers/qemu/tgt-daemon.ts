// A private tgtd (Debian package tgt) on 127.0.0.1 with a free port and its own control socket, serving
// emulated DVD drives (tgt's usr/mmc.c, device type cd) over iSCSI: an empty backing file is a blank
// DVD+R (profile 1Bh), a non-empty one a DVD-ROM. Parallel test runs never share a daemon or a socket.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { run, runText } from '../exec';
import { tgtTools, type TgtTools } from './guest-tools';

const IQN_PREFIX = 'iqn.2024-01.org.discfs';
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const ADM_TIMEOUT_MS = 10_000;
const START_ATTEMPTS = 3;

/** A TCP port that was free a moment ago (tgtd failing to bind it is retried by start()). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class TgtDaemon {
  private nextTid = 1;
  private exited = false;

  private constructor(
    private readonly tools: TgtTools,
    private readonly child: ChildProcess,
    /** Holds the control socket and tgtd's log; the caller owns (and removes) it. */
    readonly dir: string,
    readonly port: number,
  ) {
    child.once('exit', () => {
      this.exited = true;
    });
  }

  /** Starts tgtd with its state in `dir` (created if needed). */
  static async start(dir: string): Promise<TgtDaemon> {
    const tools = tgtTools();
    fs.mkdirSync(dir, { recursive: true });
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
      const port = await freePort();
      const log = fs.openSync(path.join(dir, 'tgtd.log'), 'a');
      const child = spawn(tools.tgtd, ['-f', '-C', '0', '--iscsi', `portal=127.0.0.1:${port}`], {
        env: { ...process.env, TGT_IPC_SOCKET: path.join(dir, 'ctl') },
        stdio: ['ignore', log, log],
        detached: true,
      });
      fs.closeSync(log);
      const daemon = new TgtDaemon(tools, child, dir, port);
      try {
        await daemon.waitReady();
        return daemon;
      } catch (error) {
        lastError = error as Error;
        await daemon.stop();
      }
    }
    throw lastError ?? new Error('tgtd did not start');
  }

  private async adm(args: readonly string[]): Promise<string> {
    return runText(this.tools.tgtadm, ['-C', '0', '--lld', 'iscsi', ...args], {
      timeoutMs: ADM_TIMEOUT_MS,
      env: { ...process.env, TGT_IPC_SOCKET: path.join(this.dir, 'ctl') },
    });
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`tgtd exited: ${this.log()}`);
      const controlUp = await this.adm(['--mode', 'target', '--op', 'show']).then(() => true, () => false);
      if (controlUp && (await canConnect(this.port))) return;
      await sleep(50);
    }
    throw new Error(`tgtd did not become ready in ${READY_TIMEOUT_MS} ms: ${this.log()}`);
  }

  log(): string {
    const file = path.join(this.dir, 'tgtd.log');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').slice(-2000) : '';
  }

  /**
   * Adds a target NAME whose LUN 1 is an emulated DVD drive over `backingFile`, and returns its iSCSI URL.
   * tgt decides blank DVD+R vs DVD-ROM from the file size at this moment only.
   */
  async addDisc(name: string, backingFile: string): Promise<string> {
    if (!/^[a-z0-9.-]+$/.test(name)) throw new Error(`target name ${JSON.stringify(name)} must match [a-z0-9.-]+`);
    const tid = String(this.nextTid++);
    await this.adm(['--mode', 'target', '--op', 'new', '--tid', tid, '-T', `${IQN_PREFIX}:${name}`]);
    await this.adm(['--mode', 'logicalunit', '--op', 'new', '--tid', tid, '--lun', '1', '--device-type', 'cd', '-b', fs.realpathSync(backingFile)]);
    await this.adm([
      '--mode', 'logicalunit', '--op', 'update', '--tid', tid, '--lun', '1',
      '--params', 'vendor_id=DISCFS,product_id=TGT-DVD,product_rev=0085,removable=1',
    ]);
    await this.adm(['--mode', 'target', '--op', 'bind', '--tid', tid, '-I', 'ALL']);
    return `iscsi://127.0.0.1:${this.port}/${IQN_PREFIX}:${name}/1`;
  }

  /** Shuts tgtd down ("delete system": tgtd 1.0.85 ignores SIGTERM), SIGKILL if it lingers. Idempotent. */
  async stop(): Promise<void> {
    if (this.exited || this.child.pid === undefined) return;
    await run(this.tools.tgtadm, ['-C', '0', '--op', 'delete', '--mode', 'system'], {
      timeoutMs: ADM_TIMEOUT_MS,
      okCodes: [0, 1, 22, 107],
      env: { ...process.env, TGT_IPC_SOCKET: path.join(this.dir, 'ctl') },
    }).catch(() => undefined);
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (!this.exited && Date.now() < deadline) await sleep(50);
    if (!this.exited) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      while (!this.exited && Date.now() < deadline + STOP_TIMEOUT_MS) await sleep(50);
    }
  }
}
