import pg from 'pg';

export interface ChangeListenerOptions {
  connectionString: string;
  channel: string;
  applicationName: string;
  /** Called on every notification, and after each (re)connection since one may have been missed. */
  onChange: () => void;
  /** Delay before the first reconnection attempt, doubled up to maxRetryMs. */
  minRetryMs?: number;
  maxRetryMs?: number;
}

/**
 * LISTENs on one channel through a dedicated connection (a pooled one would lose its LISTEN
 * when recycled), and reconnects with backoff when the connection drops. Subscribers poll
 * anyway, so a missed notification only delays them.
 */
export class PostgresChangeListener {
  private running?: Promise<void>;
  private client?: pg.Client;
  private stopped = false;
  private wakeRetry?: () => void;
  private connections = 0;

  constructor(private readonly options: ChangeListenerOptions) {}

  /** How many times a LISTEN connection was established (reconnections included). */
  get connectionCount(): number {
    return this.connections;
  }

  start(): void {
    if (this.running || this.stopped) return;
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeRetry?.();
    await this.client?.end().catch(() => undefined);
    await this.running;
  }

  private async run(): Promise<void> {
    const { minRetryMs = 100, maxRetryMs = 5000 } = this.options;
    let delay = minRetryMs;
    while (!this.stopped) {
      const client = new pg.Client({
        connectionString: this.options.connectionString,
        application_name: this.options.applicationName,
        connectionTimeoutMillis: 10_000,
        keepAlive: true,
      });
      // A dropped connection emits 'error' then 'end'; 'end' drives the reconnection.
      client.on('error', () => undefined);
      const ended = new Promise<void>((resolve) => client.once('end', resolve));
      try {
        await client.connect();
        this.client = client;
        if (this.stopped) {
          await client.end().catch(() => undefined);
          break;
        }
        client.on('notification', () => this.options.onChange());
        await client.query(`LISTEN "${this.options.channel}"`);
        this.connections++;
        delay = minRetryMs;
        this.options.onChange();
        await ended;
      } catch {
        await client.end().catch(() => undefined);
      } finally {
        this.client = undefined;
      }
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wakeRetry = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeRetry = undefined;
      delay = Math.min(delay * 2, maxRetryMs);
    }
  }
}
