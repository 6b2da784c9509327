import { KurrentDbEventStore } from './kurrentdb-event-store.js';

// Needs no server: nothing listens on port 1, so the real client must fail, and connect() must
// say where it tried without leaking the password.
describe('KurrentDbEventStore.connect', () => {
  it('rejects with the address it tried, credentials hidden, when no server answers', async () => {
    const error = await KurrentDbEventStore.connect({ connectionString: 'kurrentdb://admin:s3cret@127.0.0.1:1?tls=false' }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toMatch(/^KurrentDB at kurrentdb:\/\/\*\*\*@127\.0\.0\.1:1\?tls=false is not reachable/);
    expect(error!.message).not.toContain('s3cret');
  }, 30_000);
});
