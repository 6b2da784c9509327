import { ProjectionProgress } from './projection-progress.js';

describe('ProjectionProgress', () => {
  it('resolves a wait as soon as the last projection reaches the position', async () => {
    const progress = new ProjectionProgress(['a', 'b']);
    let settled: boolean | undefined;
    const waiting = progress.waitFor(10, 60_000).then((reached) => (settled = reached));
    progress.update('a', { position: 12 });
    await Promise.resolve();
    expect(settled).toBeUndefined();
    progress.update('b', { position: 10 });
    expect(await waiting).toBe(true);
  });

  it('answers false at the timeout, and true at once for a position already reached', async () => {
    const progress = new ProjectionProgress(['a']);
    progress.update('a', { position: 5 });
    expect(await progress.waitFor(5, 0)).toBe(true);
    expect(await progress.waitFor(6, 20)).toBe(false);
  });

  it('can wait for some projections only, and refuses unknown names', async () => {
    const progress = new ProjectionProgress(['a', 'b']);
    progress.update('a', { position: 3 });
    expect(await progress.waitFor(3, 0, ['a'])).toBe(true);
    expect(await progress.waitFor(3, 0)).toBe(false);
    await expect(progress.waitFor(1, 0, ['nope'])).rejects.toThrow(/Unknown projection/);
  });

  it('leaves failed and outdated projections out of the live minimum', () => {
    const progress = new ProjectionProgress(['a', 'b', 'c']);
    progress.update('a', { position: 7, state: 'running' });
    progress.update('b', { position: 2, state: 'failed' });
    progress.update('c', { position: 0, state: 'outdated' });
    expect(progress.liveMinimum()).toBe(7);
    progress.update('a', { state: 'failed' });
    expect(progress.liveMinimum()).toBeUndefined();
  });

  it('settles pending waits as not reached when cancelled', async () => {
    const progress = new ProjectionProgress(['a']);
    const waiting = progress.waitFor(1, 60_000);
    progress.cancelAll();
    expect(await waiting).toBe(false);
  });
});
