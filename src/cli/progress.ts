// The commit progress line: phase, bytes, MB/s and ETA, redrawn in place on a terminal; always a final line.

import type { DaemonEvent } from '../commit/control';

type Progress = Extract<DaemonEvent, { event: 'progress' }>;

const MB = 1e6;

export class ProgressLine {
  private readonly started = Date.now();
  private last: Progress | undefined;
  /** The data phase carries the bytes that matter; later phases (tree, verify) report their own small totals. */
  private data: Progress | undefined;
  private drawn = false;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly now: () => number = Date.now,
  ) {}

  private percent(p: Progress): number {
    return p.bytesTotal > 0 ? Math.min(100, Math.floor((100 * p.bytesDone) / p.bytesTotal)) : 100;
  }

  format(p: Progress): string {
    const secs = Math.max(0.001, (this.now() - this.started) / 1000);
    const rate = p.bytesDone / MB / secs;
    const left = rate > 0 ? (p.bytesTotal - p.bytesDone) / MB / rate : 0;
    const eta = secs >= 1 && p.bytesDone < p.bytesTotal ? `  ETA ${Math.ceil(left)} s` : '';
    return `${p.phase.padEnd(11)} ${String(this.percent(p)).padStart(3)}%  ${(p.bytesDone / MB).toFixed(1)} / ${(p.bytesTotal / MB).toFixed(1)} MB  ${rate.toFixed(1)} MB/s${eta}`;
  }

  update(p: Progress): void {
    this.last = p;
    if (p.phase === 'data') this.data = p;
    if (!this.out.isTTY) return;
    this.out.write(`\r\x1b[2K${this.format(p)}`);
    this.drawn = true;
  }

  /** The closing line: the last state at 100 % when the commit succeeded. */
  finish(ok: boolean): void {
    const p = this.last ?? { event: 'progress', phase: 'done', bytesDone: 0, bytesTotal: 0 };
    const total = this.data?.bytesTotal ?? p.bytesTotal;
    const final: Progress = ok ? { event: 'progress', phase: 'done', bytesDone: total, bytesTotal: total } : p;
    this.out.write(`${this.drawn ? '\r\x1b[2K' : ''}${this.format(final)}\n`);
  }
}
