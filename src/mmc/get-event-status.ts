// GET EVENT STATUS NOTIFICATION, polled, media class (MMC-5 6.7, media event descriptor 6.7.2.4).
import { cdb, putU16, ReplyView } from './bytes';
import { runCommand } from './command';
import { OPCODE } from './opcodes';
import { Transport } from './transport';

export const NOTIFICATION_CLASS = { operationalChange: 1, powerManagement: 2, externalRequest: 3, media: 4, multiHost: 5, deviceBusy: 6 } as const;

export type MediaEvent =
  | 'no-change' | 'eject-request' | 'new-media' | 'media-removal' | 'media-changed'
  | 'bg-format-completed' | 'bg-format-restarted' | 'reserved';
const MEDIA_EVENTS: readonly MediaEvent[] = [
  'no-change', 'eject-request', 'new-media', 'media-removal', 'media-changed', 'bg-format-completed', 'bg-format-restarted',
];

export interface EventStatus {
  /** No Event Available: the drive had nothing of the requested classes to report. */
  readonly noEventAvailable: boolean;
  readonly notificationClass: number;
  readonly supportedClasses: number;
  /** Present when the reply carried a media class descriptor. */
  readonly media?: { readonly event: MediaEvent; readonly mediumPresent: boolean; readonly trayOpen: boolean };
}

export function buildGetEventStatus(classMask = 1 << NOTIFICATION_CLASS.media, allocation = 8): Buffer {
  const b = cdb(OPCODE.getEventStatusNotification, 10);
  b[1] = 0x01; // Polled: asynchronous notification is not offered over SG_IO.
  b[4] = classMask & 0xff;
  putU16(b, 7, allocation, 'allocation length');
  return b;
}

export function parseGetEventStatus(reply: Buffer): EventStatus {
  const v = ReplyView.byLengthField('GET EVENT STATUS NOTIFICATION', reply, 0, 2);
  v.require(4, 'event status header');
  const noEventAvailable = v.bit(2, 7);
  const notificationClass = v.bits(2, 0, 3);
  const base = { noEventAvailable, notificationClass, supportedClasses: v.u8(3) };
  if (noEventAvailable || notificationClass !== NOTIFICATION_CLASS.media || !v.has(4, 4)) return base;
  const code = v.bits(4, 0, 4);
  return {
    ...base,
    media: { event: MEDIA_EVENTS[code] ?? 'reserved', mediumPresent: v.bit(5, 1), trayOpen: v.bit(5, 0) },
  };
}

export async function getMediaEventStatus(t: Transport): Promise<EventStatus> {
  return parseGetEventStatus(await runCommand(t, { cdb: buildGetEventStatus(), receive: 8 }));
}
