// SIGTERM/SIGINT/SIGHUP end a foreground mount cleanly: unmount (commit), lazily if files are still open.

import type { MountHandle } from './serve';

export interface SignalOptions {
  signals?: NodeJS.Signals[];
  log?: (message: string) => void;
}

/**
 * Installs handlers that unmount `handle` on a signal. A busy mount is detached lazily (the kernel ends it when
 * the last file closes); a second signal forces the lazy unmount at once. Returns a function removing the handlers.
 */
export function unmountOnSignals(handle: MountHandle, options: SignalOptions = {}): () => void {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT', 'SIGHUP'];
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  let count = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    count += 1;
    log(`discfs: ${sig}: unmounting ${handle.mountpoint}`);
    const lazy = count > 1;
    handle.unmount({ lazy }).catch((err: Error) => {
      log(`discfs: ${err.message}; detaching lazily`);
      return handle.unmount({ lazy: true }).catch((e: Error) => log(`discfs: lazy unmount failed: ${e.message}`));
    });
  };
  for (const s of signals) process.on(s, onSignal);
  const remove = () => { for (const s of signals) process.off(s, onSignal); };
  void handle.ended.then(remove);
  return remove;
}
