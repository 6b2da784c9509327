import { MemoryPresence } from './presence.js';

describe('MemoryPresence', () => {
  it('lists each person once, by name, with a version that grows at every change', async () => {
    const presence = new MemoryPresence();
    const room = 'topic:1';
    expect(await presence.join(room, 's1', { id: 'u2', displayName: 'Zoé' })).toEqual({ users: [{ id: 'u2', displayName: 'Zoé' }], version: 1 });
    await presence.join(room, 's2', { id: 'u1', displayName: 'Élise' });
    const both = await presence.join(room, 's3', { id: 'u1', displayName: 'Élise' });
    expect(both).toEqual({ users: [{ id: 'u1', displayName: 'Élise' }, { id: 'u2', displayName: 'Zoé' }], version: 3 });
    // One of Élise's two tabs leaves: she stays.
    expect((await presence.leave(room, 's2')).users.map((u) => u.id)).toEqual(['u1', 'u2']);
    expect((await presence.leave(room, 's3')).users.map((u) => u.id)).toEqual(['u2']);
    const empty = await presence.leave(room, 's1');
    expect(empty).toEqual({ users: [], version: 6 });
    // Coming back after the room emptied keeps the version growing.
    expect((await presence.join(room, 's4', { id: 'u2', displayName: 'Zoé' })).version).toBe(7);
  });
});
