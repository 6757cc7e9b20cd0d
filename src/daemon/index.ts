// The daemon side of discfs: mount lifecycle, signals, background start.

export { serve, type MountEnd, type MountHandle, type ServeOptions } from './serve';
export { unmountOnSignals, type SignalOptions } from './signals';
export { readyFdFromArgv, reportFailure, reportReady, startInBackground, READY_FD, type BackgroundOptions } from './background';
export { cleanDeadMount, findMount, fusermount, isDeadMount, parseMountInfo, type MountInfoEntry } from './mountpoint';
