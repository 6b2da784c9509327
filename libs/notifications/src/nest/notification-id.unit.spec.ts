import { notificationId } from './notification-id.js';

describe('notificationId', () => {
  it('gives the ids notifications were stored with (a rebuild must find the same ones)', () => {
    // Computed with the first implementation (createHash, version and variant bits set on the bytes).
    expect(notificationId('01a06607-2760-75b3-8dfa-8a6a0466d010', '01a05b72-1bc0-7c5e-9984-0f5867268cb9')).toBe('6d096f53-980b-55ca-947f-4e7f8c4b733f');
    expect(notificationId('e', 'u')).toBe('425ca362-9de4-513e-a1f2-b2a5b3ccc321');
  });

  it('is a version 5 layout UUID, different per event and per recipient', () => {
    const ids = new Set<string>();
    for (let event = 0; event < 64; event++) {
      for (const user of ['a', 'b']) {
        const id = notificationId(`event-${event}`, user);
        expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        ids.add(id);
      }
    }
    expect(ids.size).toBe(128);
  });
});
