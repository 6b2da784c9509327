import net from 'node:net';

/** What the proxy does to the next client message that contains the marker. */
export type Cut =
  /** Never sent: the server does not see the statement; the client connection is dropped. */
  | 'before-sending'
  /** Sent; the connection is dropped when the test says so (see `drop`), answer or not. */
  | 'after-sending'
  /**
   * Sent and answered (up to ReadyForQuery, so committed), but the answer is held back and the
   * backend is ended by `onAnswered` (pg_terminate_backend): the client sees only the end.
   */
  | 'after-answer';

export interface Fired {
  /** The server process of the connection that carried the marker. */
  pid: number;
  /** Whether the server had answered (ReadyForQuery) when the connection was cut. */
  answered: boolean;
}

interface Armed {
  marker: Buffer;
  cut: Cut;
  onAnswered?: (pid: number) => Promise<void>;
  fired: (fired: Fired) => void;
  failed: (error: unknown) => void;
}

interface Link {
  client: net.Socket;
  server: net.Socket;
  pid?: number;
  state: 'passing' | 'awaiting-answer' | 'cut';
  /** Run when the held answer is complete (ReadyForQuery). */
  onAnswer?: () => Promise<void>;
  /** Server bytes not yet split into messages. */
  pending: Buffer;
  /** Tail of the client's last chunk, so that a marker split across chunks is still seen. */
  tail: Buffer;
}

/**
 * A TCP proxy on loopback in front of PostgreSQL that lets a test lose a connection at a chosen
 * point of the wire protocol: before a statement reaches the server, or after the server
 * committed and answered but before the client reads the answer. It splits the server's
 * messages (type byte, length) to find BackendKeyData (the backend's pid) and ReadyForQuery.
 */
export class WireProxy {
  private armed?: Armed;
  private readonly links = new Set<Link>();

  private constructor(
    private readonly listener: net.Server,
    private readonly target: { host: string; port: number },
  ) {
    listener.on('connection', (client) => this.accept(client));
  }

  static async start(targetUrl: string): Promise<WireProxy> {
    const url = new URL(targetUrl);
    const listener = net.createServer();
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(0, '127.0.0.1', () => resolve());
    });
    return new WireProxy(listener, { host: url.hostname, port: Number(url.port || 5432) });
  }

  /** `targetUrl` with the proxy's address instead of the server's. */
  url(targetUrl: string): string {
    const url = new URL(targetUrl);
    url.hostname = '127.0.0.1';
    url.port = String((this.listener.address() as net.AddressInfo).port);
    return url.toString();
  }

  /** Arms one cut: the next client message containing `marker`, on any connection. */
  arm(marker: string, cut: Cut, onAnswered?: (pid: number) => Promise<void>): Promise<Fired> {
    if (this.armed) throw new Error('WireProxy: already armed');
    return new Promise<Fired>((fired, failed) => {
      this.armed = { marker: Buffer.from(marker, 'latin1'), cut, onAnswered, fired, failed };
    });
  }

  disarm(): void {
    this.armed = undefined;
  }

  /** Drops the connection of backend `pid` on both sides (for 'after-sending'). */
  drop(pid: number): void {
    for (const link of this.links) if (link.pid === pid) this.cut(link);
  }

  async close(): Promise<void> {
    for (const link of this.links) this.cut(link);
    await new Promise<void>((resolve) => this.listener.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    const server = net.connect(this.target);
    const link: Link = { client, server, state: 'passing', pending: Buffer.alloc(0), tail: Buffer.alloc(0) };
    this.links.add(link);
    client.on('error', () => this.cut(link)).on('close', () => this.cut(link));
    server.on('error', () => this.cut(link));
    // The server closed (as when its backend is ended): the client gets what was forwarded first.
    server.on('end', () => link.client.end()).on('close', () => this.links.delete(link));
    client.on('data', (chunk: Buffer) => this.fromClient(link, chunk));
    server.on('data', (chunk: Buffer) => this.fromServer(link, chunk));
  }

  private fromClient(link: Link, chunk: Buffer): void {
    if (link.state === 'cut') return;
    const armed = this.armed;
    const seen = Buffer.concat([link.tail, chunk]);
    link.tail = seen.subarray(Math.max(0, seen.length - 256));
    // Only a marker that ends in this chunk: one seen before belongs to an earlier message.
    const from = Math.max(0, seen.length - chunk.length - (armed?.marker.length ?? 0) + 1);
    if (!armed || link.pid === undefined || seen.indexOf(armed.marker, from) < 0) {
      link.server.write(chunk);
      return;
    }
    this.armed = undefined;
    const pid = link.pid;
    switch (armed.cut) {
      case 'before-sending':
        this.cut(link);
        armed.fired({ pid, answered: false });
        return;
      case 'after-sending':
        link.server.write(chunk);
        armed.fired({ pid, answered: false });
        return;
      case 'after-answer':
        link.state = 'awaiting-answer';
        link.onAnswer = () =>
          Promise.resolve(armed.onAnswered?.(pid)).then(() => armed.fired({ pid, answered: true }), armed.failed);
        link.server.write(chunk);
        return;
    }
  }

  private fromServer(link: Link, chunk: Buffer): void {
    if (link.state === 'cut') return;
    let pending = Buffer.concat([link.pending, chunk]);
    const forward: Buffer[] = [];
    while (pending.length >= 5 && pending.length >= 1 + pending.readUInt32BE(1)) {
      const message = pending.subarray(0, 1 + pending.readUInt32BE(1));
      pending = pending.subarray(message.length);
      const type = String.fromCharCode(message[0]);
      if (type === 'K') link.pid = message.readUInt32BE(5);
      if (link.state !== 'awaiting-answer') {
        forward.push(message);
      } else if (type === 'Z') {
        // Committed and answered: the answer is dropped, the backend ended; what the server
        // says when it is ended (FATAL 57P01) is forwarded, then its close.
        link.state = 'passing';
        void link.onAnswer!();
      }
    }
    link.pending = pending;
    if (forward.length > 0) link.client.write(Buffer.concat(forward));
  }

  private cut(link: Link): void {
    if (link.state === 'cut') return;
    link.state = 'cut';
    link.client.destroy();
    link.server.destroy();
  }
}
