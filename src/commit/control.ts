// The daemon's event channel: a Unix socket per mountpoint that streams JSON lines (progress, the commit result)
// to whoever listens, e.g. `discfs unmount` showing a progress bar while the daemon commits.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { stateDir } from '../cli/paths';

export type DaemonEvent =
  | { event: 'mounted'; pid: number; source: string; mountpoint: string; readOnly: boolean; log?: string }
  | { event: 'phase'; phase: string }
  | { event: 'progress'; phase: string; bytesDone: number; bytesTotal: number }
  | { event: 'result'; ok: boolean; exit: number; message: string; session?: number; startLba?: number; blocks?: number }
  | { event: 'reply'; op: string; ok: boolean; data?: unknown; message?: string };

/**
 * What a client may ask the daemon: the plan of the next commit, its status (staged changes + plan), to discard at
 * the end instead of committing, or to abort a commit under way (the image is left as it was, the overlay kept).
 */
export type DaemonRequest = { op: 'plan' } | { op: 'status' } | { op: 'discard' } | { op: 'abort' } | BurnRequest | VerifyRequest;
/** `discfs unmount --verify all`: the coming commit also re-reads unchanged data against the stored checksums. */
export type VerifyRequest = { op: 'verify'; verify: 'all' };
/** Optical drives: how the coming unmount burns (`discfs unmount --close/--eject/--speed`); unset fields keep the mount's. */
export type BurnRequest = { op: 'burn'; finalize?: boolean; eject?: boolean; speedKBps?: number };
export type RequestHandler = (req: DaemonRequest) => Promise<unknown>;

export interface RuntimePaths {
  socket: string;
  info: string;
}

export function runDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(stateDir(env), 'run');
}

/** The 'mounted' records of every daemon that is (or was, if it died) running: the run/*.json files. */
export function listMountRecords(env: NodeJS.ProcessEnv = process.env): Extract<DaemonEvent, { event: 'mounted' }>[] {
  let names: string[];
  try {
    names = fs.readdirSync(runDir(env)).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: Extract<DaemonEvent, { event: 'mounted' }>[] = [];
  for (const n of names) {
    try {
      const e = JSON.parse(fs.readFileSync(path.join(runDir(env), n), 'utf8')) as DaemonEvent;
      if (e.event === 'mounted') out.push(e);
    } catch {
      // A record being written or removed right now.
    }
  }
  return out;
}

/** Socket names are hashed: sun_path holds only 108 bytes. */
export function runtimePaths(mountpoint: string, env: NodeJS.ProcessEnv = process.env): RuntimePaths {
  const dir = runDir(env);
  const key = createHash('sha256').update(path.resolve(mountpoint)).digest('hex').slice(0, 20);
  return { socket: path.join(dir, `${key}.sock`), info: path.join(dir, `${key}.json`) };
}

export class EventHub {
  private readonly clients = new Set<net.Socket>();
  private readonly server: net.Server;
  private last: DaemonEvent | undefined;

  private constructor(
    private readonly paths: RuntimePaths,
    private readonly onRequest: RequestHandler,
  ) {
    this.server = net.createServer((c) => {
      this.clients.add(c);
      c.on('close', () => this.clients.delete(c));
      c.on('error', () => this.clients.delete(c));
      readLines(c, (line) => void this.answer(c, line));
    });
  }

  private async answer(c: net.Socket, line: string): Promise<void> {
    let req: DaemonRequest;
    try {
      req = JSON.parse(line) as DaemonRequest;
    } catch {
      return;
    }
    let reply: DaemonEvent;
    try {
      reply = { event: 'reply', op: req.op, ok: true, data: await this.onRequest(req) };
    } catch (e) {
      reply = { event: 'reply', op: req.op, ok: false, message: (e as Error).message };
    }
    if (!c.destroyed) c.write(`${JSON.stringify(reply)}\n`);
  }

  static async listen(paths: RuntimePaths, mounted: DaemonEvent, onRequest: RequestHandler): Promise<EventHub> {
    fs.mkdirSync(path.dirname(paths.socket), { recursive: true, mode: 0o700 });
    fs.rmSync(paths.socket, { force: true });
    const hub = new EventHub(paths, onRequest);
    await new Promise<void>((resolve, reject) => {
      hub.server.once('error', reject);
      hub.server.listen(paths.socket, () => resolve());
    });
    hub.server.unref();
    fs.writeFileSync(paths.info, `${JSON.stringify(mounted)}\n`);
    hub.last = mounted;
    return hub;
  }

  send(e: DaemonEvent): void {
    this.last = e;
    const line = `${JSON.stringify(e)}\n`;
    for (const c of this.clients) c.write(line);
  }

  /** Sends the final event, waits until listeners got it, removes the socket. */
  async close(): Promise<void> {
    await Promise.all([...this.clients].map((c) => new Promise<void>((r) => c.end(r))));
    await new Promise<void>((r) => this.server.close(() => r()));
    fs.rmSync(this.paths.socket, { force: true });
    fs.rmSync(this.paths.info, { force: true });
  }

  get lastEvent(): DaemonEvent | undefined {
    return this.last;
  }
}

function readLines(c: net.Socket, onLine: (line: string) => void): void {
  let buf = '';
  c.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      onLine(line);
    }
  });
}

export interface DaemonConnection {
  /** Resolves when the daemon closes the channel (it has finished). */
  closed: Promise<void>;
  request(req: DaemonRequest): Promise<unknown>;
  close(): void;
}

/** Connects to a daemon's event channel; undefined when no daemon listens for that mountpoint. */
export function connectEvents(mountpoint: string, onEvent: (e: DaemonEvent) => void): Promise<DaemonConnection | undefined> {
  const { socket } = runtimePaths(mountpoint);
  const waiting: { op: string; resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  return new Promise((resolve) => {
    const c = net.createConnection(socket);
    const closed = new Promise<void>((r) => c.on('close', () => r()));
    const request = (req: DaemonRequest) =>
      new Promise<unknown>((res, rej) => {
        waiting.push({ op: req.op, resolve: res, reject: rej });
        c.write(`${JSON.stringify(req)}\n`);
      });
    c.once('error', () => resolve(undefined));
    c.once('connect', () => resolve({ closed, request, close: () => c.destroy() }));
    void closed.then(() => waiting.splice(0).forEach((w) => w.reject(new Error('the daemon closed the channel'))));
    readLines(c, (line) => {
      let e: DaemonEvent;
      try {
        e = JSON.parse(line) as DaemonEvent;
      } catch {
        return; // a torn line from a dying daemon
      }
      if (e.event === 'reply') {
        const i = waiting.findIndex((w) => w.op === e.op);
        if (i >= 0) {
          const [w] = waiting.splice(i, 1);
          if (e.ok) w.resolve(e.data);
          else w.reject(new Error(e.message ?? `${e.op} failed`));
        }
        return;
      }
      onEvent(e);
    });
  });
}
