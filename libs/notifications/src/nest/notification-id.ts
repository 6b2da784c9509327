import { hash } from 'node:crypto';

const NAMESPACE = 'ruche:notification';

/** The variant bits (10xx) over a hex digit: byte 8's high nibble. */
const VARIANT = '89ab89ab89ab89ab';

/**
 * A notification's id: a name-based UUID (version 5 layout) of the event that caused it and its
 * recipient, so that applying the same event again (a rebuild) gives the same ids. One-shot
 * `hash` to hex and string slices: a school year's 947,000 ids took 4.7 s of a rebuild's
 * replay through createHash and a Buffer.
 */
export function notificationId(eventId: string, userId: string): string {
  const hex = hash('sha1', `${NAMESPACE}:${eventId}:${userId}`, 'hex');
  const variant = VARIANT[Number.parseInt(hex[16]!, 16)]!;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
