import { createHash } from 'node:crypto';
import pg from 'pg';
import type { ProjectionLeases } from '#ruche/projections';

/**
 * Projection leases as PostgreSQL session advisory locks, on one connection of their own: a lock
 * is held as long as the connection lives, so a process that dies (or loses its connection)
 * gives its projections up at once, and another process takes them at its next try (the
 * runner's leaseRetryMs, 2 s by default). Keys are two int4 derived from the schema and the
 * projection's name: a key space apart from the event store's bigint advisory lock.
 */
export class PostgresProjectionLeases implements ProjectionLeases {
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private readonly held = new Set<string>();
  private closed = false;
  /** One query at a time on the connection (pg deprecates overlapping ones). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly options: { connectionString: string; schema: string; applicationName?: string },
  ) {}

  async tryAcquire(name: string): Promise<boolean> {
    if (this.held.has(name)) return true;
    if (this.closed) return false;
    try {
      const client = await this.connection();
      const [high, low] = this.keyOf(name);
      const { rows } = await this.serial(() => client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [high, low]));
      if (rows[0]?.ok) this.held.add(name);
      return rows[0]?.ok === true;
    } catch {
      this.lost();
      return false;
    }
  }

  holds(name: string): boolean {
    return this.held.has(name);
  }

  async release(name: string): Promise<void> {
    if (!this.held.delete(name) || !this.client) return;
    const [high, low] = this.keyOf(name);
    const client = this.client;
    await this.serial(() => client.query('SELECT pg_advisory_unlock($1, $2)', [high, low])).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.held.clear();
    const client = this.client ?? (await this.connecting?.catch(() => undefined));
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private serial<T>(run: () => Promise<T>): Promise<T> {
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private connection(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const client = new pg.Client({ connectionString: this.options.connectionString, application_name: this.options.applicationName ?? 'ruche-projection-leases' });
      client.on('error', () => this.lost(client));
      client.on('end', () => this.lost(client));
      await client.connect();
      this.client = client;
      return client;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** The connection is gone, and every lock with it: nothing is held any more. */
  private lost(client?: pg.Client): void {
    if (client && client !== this.client) return;
    this.held.clear();
    const previous = this.client;
    this.client = undefined;
    void previous?.end().catch(() => undefined);
  }

  private keyOf(name: string): [number, number] {
    const digest = createHash('sha256').update(`ruche-projection:${this.options.schema}:${name}`).digest();
    return [digest.readInt32BE(0), digest.readInt32BE(4)];
  }
}
