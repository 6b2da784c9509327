import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { live, type LiveEventMessage, type LiveRoom, type LiveStatus, type PresenceMessage } from './client';

export function useLiveStatus(): LiveStatus {
  return useSyncExternalStore(
    (listener) => live.onStatus(listener),
    () => live.status,
  );
}

/** Calls `onEvent` for each event of `room` while mounted; returns who is in the room. */
export function useLiveRoom(room: LiveRoom | null, onEvent: (event: LiveEventMessage) => void): PresenceMessage['users'] {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const [users, setUsers] = useState<PresenceMessage['users']>([]);
  useEffect(() => {
    if (!room) return;
    return live.subscribe(
      room,
      (event) => handler.current(event),
      (presence) => setUsers(presence.users),
    );
  }, [room]);
  return users;
}
