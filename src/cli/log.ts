// The daemon's log: `ISO-time LEVEL message` lines to a file (background) or stderr (foreground).
// Notices (resuming staged changes, a blank medium) are also handed back to the mounting command to print.

import fs from 'node:fs';
import path from 'node:path';

export interface Log {
  info(message: string): void;
  warn(message: string): void;
  notice(message: string): void;
  readonly notices: string[];
  readonly file?: string;
}

export function createLog(file?: string): Log {
  let fd: number | undefined;
  if (file) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fd = fs.openSync(file, 'a');
  }
  const notices: string[] = [];
  const write = (level: string, message: string) => {
    const line = `${new Date().toISOString()} ${level} ${message}\n`;
    if (fd !== undefined) fs.writeSync(fd, line);
    else if (level !== 'INFO') process.stderr.write(`discfs: ${message}\n`);
  };
  return {
    info: (m) => write('INFO', m),
    warn: (m) => write('WARN', m),
    notice: (m) => {
      notices.push(m);
      write('NOTICE', m);
    },
    notices,
    file,
  };
}
