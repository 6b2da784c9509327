import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { LiveClient, type LiveEventMessage, type LiveRoom, type NotificationMessage, type PresenceMessage } from '#ruche/live-client';

/** A signed-in person for live tests: their session cookie, for HTTP and for sockets. */
export interface LivePerson {
  id: string;
  email: string;
  displayName: string;
  cookie: string;
  http: {
    get(url: string): request.Test;
    post(url: string): request.Test;
    patch(url: string): request.Test;
    put(url: string): request.Test;
    delete(url: string): request.Test;
  };
}

/** Signs in through the dev sign-in, keeping the session cookie. */
export async function signInPerson(
  baseUrl: string,
  email: string,
  claims: { displayName?: string; roles?: string[]; uai?: string } = {},
): Promise<LivePerson> {
  const r = await request(baseUrl).post('/api/auth/dev-login').send({ email, ...claims });
  if (r.status !== 200) throw new Error(`sign-in of ${email} failed: ${r.status} ${JSON.stringify(r.body)}`);
  const setCookie = ([] as string[]).concat(r.headers['set-cookie'] ?? []);
  const cookie = setCookie.map((c) => c.split(';')[0]!).find((c) => c.startsWith('ruche_session='));
  if (!cookie) throw new Error('no session cookie');
  const as = (t: request.Test): request.Test => t.set('Cookie', cookie);
  const agent = request(baseUrl);
  return {
    id: r.body.id as string,
    email,
    displayName: r.body.displayName as string,
    cookie,
    http: {
      get: (url) => as(agent.get(url)),
      post: (url) => as(agent.post(url)),
      patch: (url) => as(agent.patch(url)),
      put: (url) => as(agent.put(url)),
      delete: (url) => as(agent.delete(url)),
    },
  };
}

/** The URL of a listening Node server. */
export function urlOf(server: { address(): AddressInfo | string | null }): string {
  const address = server.address() as AddressInfo;
  return `http://127.0.0.1:${address.port}`;
}

/** Waits until `check` holds, polling on the event loop (no fixed sleep), or fails after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A live client that records everything it receives. */
export class Recorder {
  readonly events: LiveEventMessage[] = [];
  readonly notifications: NotificationMessage[] = [];
  readonly presence: PresenceMessage[] = [];
  readonly raw: LiveEventMessage[] = [];
  readonly client: LiveClient;

  constructor(url: string, person: { cookie?: string }, options: { origin?: string; reconnection?: boolean } = {}) {
    this.client = new LiveClient({
      url,
      headers: { ...(person.cookie ? { cookie: person.cookie } : {}), ...(options.origin ? { origin: options.origin } : {}) },
      socket: { transports: ['websocket'], reconnection: options.reconnection ?? false, forceNew: true },
    });
    this.client.on('event', (m) => this.events.push(m));
    this.client.on('notification', (m) => this.notifications.push(m));
    this.client.on('presence', (m) => this.presence.push(m));
    // What the server sent, before the client's own de-duplication: to prove the server sends nothing twice.
    this.client.socket.on('event', (m) => this.raw.push(m));
  }

  static async connect(url: string, person: { cookie?: string }, options: { origin?: string; reconnection?: boolean } = {}): Promise<Recorder> {
    const recorder = new Recorder(url, person, options);
    await recorder.client.connect();
    return recorder;
  }

  in(room: LiveRoom): LiveEventMessage[] {
    return this.events.filter((e) => e.room === room);
  }

  async waitFor(check: (r: this) => boolean, what: string, timeoutMs = 5000): Promise<void> {
    await until(() => check(this), timeoutMs, what);
  }

  /** Waits for an event of `room` at `position` (or later). */
  async reach(room: LiveRoom, position: number, timeoutMs = 5000): Promise<void> {
    await this.waitFor((r) => r.in(room).some((e) => e.position >= position), `${room} at ${position}`, timeoutMs);
  }

  lastPresence(room: LiveRoom): PresenceMessage | undefined {
    return this.presence.filter((p) => p.room === room).sort((a, b) => a.version - b.version).at(-1);
  }

  close(): void {
    this.client.close();
  }
}
