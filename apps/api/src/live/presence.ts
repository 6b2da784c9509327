import type { Redis } from 'ioredis';
import type { PresenceUser } from '#ruche/live-client';

/** Who is in a room now, and the version of that answer (it grows with every change). */
export interface PresenceSnapshot {
  users: PresenceUser[];
  version: number;
}

/**
 * Who views which topic or document: one entry per socket, so that a person with two tabs stays
 * present until both are gone. In memory for one process; in Redis across processes.
 */
export interface PresenceStore {
  join(room: string, socketId: string, user: PresenceUser): Promise<PresenceSnapshot>;
  leave(room: string, socketId: string): Promise<PresenceSnapshot>;
  close(): Promise<void>;
}

/** One entry per person, sorted by name (then id), whatever the number of their sockets. */
function people(users: Iterable<PresenceUser>): PresenceUser[] {
  const byId = new Map<string, PresenceUser>();
  for (const user of users) byId.set(user.id, { id: user.id, displayName: user.displayName });
  return [...byId.values()].sort((a, b) => a.displayName.localeCompare(b.displayName, 'fr') || a.id.localeCompare(b.id));
}

export class MemoryPresence implements PresenceStore {
  private readonly rooms = new Map<string, { sockets: Map<string, PresenceUser>; version: number }>();

  async join(room: string, socketId: string, user: PresenceUser): Promise<PresenceSnapshot> {
    let entry = this.rooms.get(room);
    if (!entry) this.rooms.set(room, (entry = { sockets: new Map(), version: 0 }));
    entry.sockets.set(socketId, user);
    entry.version += 1;
    return { users: people(entry.sockets.values()), version: entry.version };
  }

  async leave(room: string, socketId: string): Promise<PresenceSnapshot> {
    const entry = this.rooms.get(room);
    if (!entry) return { users: [], version: 0 };
    entry.sockets.delete(socketId);
    entry.version += 1;
    const snapshot = { users: people(entry.sockets.values()), version: entry.version };
    // The version must keep growing if someone comes back: keep the entry, drop the sockets map only.
    if (entry.sockets.size === 0) entry.sockets = new Map();
    return snapshot;
  }

  async close(): Promise<void> {
    this.rooms.clear();
  }
}

const HEARTBEAT_MS = 5000;
const HEARTBEAT_TTL_MS = 15_000;

/**
 * Presence in Redis, shared by every API process: a hash per room (`<server>|<socket>` → the
 * person) and a version counter per room, changed and read in one MULTI so that each answer is
 * a consistent snapshot with its version. Each process keeps a heartbeat key alive; entries of a
 * process whose heartbeat expired (it crashed) are dropped at the next change of that room.
 */
export class RedisPresence implements PresenceStore {
  private readonly timer: NodeJS.Timeout;
  /** room → this process's sockets in it, to clean up on close. */
  private readonly local = new Map<string, Set<string>>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly serverId: string,
  ) {
    void this.beat();
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.timer.unref();
  }

  async join(room: string, socketId: string, user: PresenceUser): Promise<PresenceSnapshot> {
    let sockets = this.local.get(room);
    if (!sockets) this.local.set(room, (sockets = new Set()));
    sockets.add(socketId);
    return this.change(room, (multi) => multi.hset(this.roomKey(room), this.field(socketId), JSON.stringify(user)));
  }

  async leave(room: string, socketId: string): Promise<PresenceSnapshot> {
    const sockets = this.local.get(room);
    sockets?.delete(socketId);
    if (sockets?.size === 0) this.local.delete(room);
    return this.change(room, (multi) => multi.hdel(this.roomKey(room), this.field(socketId)));
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    const multi = this.redis.multi();
    for (const [room, sockets] of this.local) {
      for (const socketId of sockets) multi.hdel(this.roomKey(room), this.field(socketId));
      multi.incr(this.versionKey(room));
    }
    multi.del(this.serverKey(this.serverId));
    this.local.clear();
    await multi.exec().catch(() => undefined);
  }

  private async change(room: string, write: (multi: ReturnType<Redis['multi']>) => void): Promise<PresenceSnapshot> {
    const multi = this.redis.multi();
    write(multi);
    multi.incr(this.versionKey(room));
    multi.hgetall(this.roomKey(room));
    const results = await multi.exec();
    if (!results) throw new Error('presence transaction aborted');
    const version = Number(results[1]![1]);
    const entries = (results[2]![1] ?? {}) as Record<string, string>;
    const servers = [...new Set(Object.keys(entries).map((field) => field.slice(0, field.indexOf('|'))))].filter((id) => id !== this.serverId);
    const dead = new Set<string>();
    if (servers.length > 0) {
      const checks = await Promise.all(servers.map(async (id) => [id, await this.redis.exists(this.serverKey(id))] as const));
      for (const [id, exists] of checks) if (!exists) dead.add(id);
    }
    const users: PresenceUser[] = [];
    const stale: string[] = [];
    for (const [field, value] of Object.entries(entries)) {
      if (dead.has(field.slice(0, field.indexOf('|')))) {
        stale.push(field);
        continue;
      }
      try {
        users.push(JSON.parse(value) as PresenceUser);
      } catch {
        stale.push(field);
      }
    }
    if (stale.length > 0) await this.redis.hdel(this.roomKey(room), ...stale);
    return { users: people(users), version };
  }

  private async beat(): Promise<void> {
    await this.redis.set(this.serverKey(this.serverId), '1', 'PX', HEARTBEAT_TTL_MS).catch(() => undefined);
  }

  private field(socketId: string): string {
    return `${this.serverId}|${socketId}`;
  }

  private roomKey(room: string): string {
    return `${this.prefix}:presence:${room}`;
  }

  private versionKey(room: string): string {
    return `${this.prefix}:presence-version:${room}`;
  }

  private serverKey(serverId: string): string {
    return `${this.prefix}:server:${serverId}`;
  }
}
