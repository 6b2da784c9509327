import { FloodGuard } from './flood-guard.js';
import { cookieValue } from './live-auth.js';
import { LiveRefusal } from './live-errors.js';
import { parseRoom } from './room-access.js';

const id = '0192F0A0-0000-7000-8000-0000000000A1';

describe('parseRoom', () => {
  it('reads each room kind, ids in lower case', () => {
    expect(parseRoom(`topic:${id}`)).toEqual({ kind: 'topic', id: id.toLowerCase(), name: `topic:${id.toLowerCase()}` });
    expect(parseRoom(`space:${id}`).kind).toBe('space');
    expect(parseRoom(`document:${id}`).kind).toBe('document');
    expect(parseRoom('user:me')).toEqual({ kind: 'user', name: 'user:me' });
  });

  it.each([undefined, null, 5, '', 'topic', 'topic:', 'user:someone', `chat:${id}`, 'topic:not-a-uuid', `topic:${id}x`, `topic:${id}`.padEnd(200, 'x')])(
    'refuses %p, naming room',
    (room) => {
      let refusal: unknown;
      try {
        parseRoom(room);
      } catch (error) {
        refusal = error;
      }
      expect(refusal).toBeInstanceOf(LiveRefusal);
      expect((refusal as LiveRefusal).error).toMatchObject({ code: 'VALIDATION', field: 'room' });
    },
  );
});

describe('cookieValue', () => {
  it('finds one cookie among others, decoded', () => {
    expect(cookieValue('a=1; ruche_session=abc%2Bd; b=2', 'ruche_session')).toBe('abc+d');
    expect(cookieValue('ruche_session="quoted"', 'ruche_session')).toBe('quoted');
  });
  it('answers undefined when absent or malformed', () => {
    expect(cookieValue(undefined, 'ruche_session')).toBeUndefined();
    expect(cookieValue('other=1', 'ruche_session')).toBeUndefined();
    expect(cookieValue('ruche_session=%E0%A4%A', 'ruche_session')).toBeUndefined();
  });
});

describe('FloodGuard', () => {
  it('serves a burst, refuses beyond it, refills with time, and disconnects a socket that keeps going', () => {
    let now = 0;
    const guard = new FloodGuard(() => now, 3, 10, 2);
    expect([guard.take(), guard.take(), guard.take()]).toEqual(['ok', 'ok', 'ok']);
    expect(guard.take()).toBe('refuse');
    now += 100; // one token back at 10 per second
    expect(guard.take()).toBe('ok');
    expect(guard.take()).toBe('refuse');
    expect(guard.take()).toBe('disconnect');
  });
});
