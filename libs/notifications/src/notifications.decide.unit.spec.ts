import { DeciderSpecification } from '#ruche/domain-kit/testing';
import { notificationsDecider, type MarkNotificationsRead } from './notifications.decide.js';
import { notificationsStreamName, type NotificationsRead } from './notifications.js';

const given = DeciderSpecification.for(notificationsDecider);
const userId = '0192f0a0-0000-7000-8000-000000000001';
const other = '0192f0a0-0000-7000-8000-000000000002';
const now = new Date('2026-11-30T10:00:00.000Z');

const mark = (upTo: number, head = 100, by = userId): MarkNotificationsRead => ({
  type: 'MarkNotificationsRead',
  data: { userId, upTo, head },
  metadata: { actor: { userId: by, roles: ['enseignant'] }, now },
});
const read = (upTo: number): NotificationsRead => ({ type: 'NotificationsRead', data: { userId, upTo, at: now.toISOString(), by: userId } });

describe('notifications streams', () => {
  it('are named notifications-<userId>', () => {
    expect(notificationsStreamName(userId)).toBe(`notifications-${userId}`);
  });
});

describe('nothing read yet', () => {
  it('marks read up to the position given', () => given().when(mark(42)).then(read(42)));
  it('marks read up to the head', () => given().when(mark(100, 100)).then(read(100)));
  it('does nothing for position 0', () => given().when(mark(0)).thenNothingHappens());
  it('refuses a position beyond the head, naming upTo', () => given().when(mark(101, 100)).thenThrows('VALIDATION', 'upTo'));
  it.each([-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 2])('refuses %p as a position, naming upTo', (upTo) =>
    given().when(mark(upTo, Number.MAX_VALUE)).thenThrows('VALIDATION', 'upTo'),
  );
  it("answers another person's notifications as absent", () => given().when(mark(10, 100, other)).thenThrows('NOT_FOUND'));
});

describe('read up to 50', () => {
  it('moves the mark forward', () => given(read(50)).when(mark(60)).then(read(60)));
  it('does nothing at or before the mark', () => {
    given(read(50)).when(mark(50)).thenNothingHappens();
    given(read(50)).when(mark(20)).thenNothingHappens();
  });
  it('keeps the furthest mark whatever the order of events', () => given([read(50), read(30)]).when(mark(40)).thenNothingHappens());
});
