import { createHash } from 'node:crypto';

const NAMESPACE = 'ruche:notification';

/**
 * A notification's id: a name-based UUID (version 5 layout) of the event that caused it and its
 * recipient, so that applying the same event again (a rebuild) gives the same ids.
 */
export function notificationId(eventId: string, userId: string): string {
  const hash = createHash('sha1').update(`${NAMESPACE}:${eventId}:${userId}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
