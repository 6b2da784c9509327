import { Inject, Injectable } from '@nestjs/common';
import { isDomainError, type Actor } from '#ruche/domain-kit';
import type { EventStore } from '#ruche/eventstore';
import type { LiveRoom } from '#ruche/live-client';
import type { ProjectionRunner, SqlDatabase } from '#ruche/projections';
import { EVENT_STORE, PROJECTION_RUNNER, READ_DB } from '#ruche/platform';
import { SpaceAccess } from '#ruche/spaces/nest';
import { LiveRefusal } from './live-errors.js';

export type RoomKind = 'space' | 'topic' | 'document' | 'user';

/** A room the caller asked for, parsed: `user:me` is theirs alone. */
export type ParsedRoom = { kind: 'space' | 'topic' | 'document'; id: string; name: LiveRoom } | { kind: 'user'; name: 'user:me' };

/** A granted room: the space whose rights govern it (none for `user:me`). */
export type GrantedRoom = ParsedRoom & { spaceId?: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ROOM_MAX = 100;
/** How long a room whose resource is not in the read model yet waits for it (a topic just opened). */
const LOOKUP_WAIT_MS = 2000;

/** Parses `space:<id>`, `topic:<id>`, `document:<id>` or `user:me`; a refusal names `room`. */
export function parseRoom(room: unknown): ParsedRoom {
  if (typeof room !== 'string' || room.length === 0) throw LiveRefusal.validation('room', 'room must be a string such as "topic:<id>"');
  if (room.length > ROOM_MAX) throw LiveRefusal.validation('room', `room must be at most ${ROOM_MAX} characters`);
  if (room === 'user:me') return { kind: 'user', name: 'user:me' };
  const colon = room.indexOf(':');
  const kind = colon > 0 ? room.slice(0, colon) : '';
  const id = room.slice(colon + 1).toLowerCase();
  if (kind !== 'space' && kind !== 'topic' && kind !== 'document') {
    throw LiveRefusal.validation('room', 'room kind must be space, topic, document or user:me');
  }
  if (!UUID.test(id)) throw LiveRefusal.validation('room', `${kind} rooms are named ${kind}:<uuid>`);
  return { kind, id, name: `${kind}:${id}` as LiveRoom };
}

/**
 * Who may enter which room, with the rules of the HTTP queries (SpaceAccess): a room is granted
 * when the caller may read its space now; a private space's room (or one of its topics or
 * documents) answers to a stranger exactly as a room that does not exist.
 */
@Injectable()
export class RoomAccess {
  constructor(
    private readonly spaces: SpaceAccess,
    @Inject(READ_DB) private readonly db: SqlDatabase,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTION_RUNNER) private readonly runner: ProjectionRunner,
  ) {}

  async grant(room: ParsedRoom, actor: Actor): Promise<GrantedRoom> {
    if (room.kind === 'user') return room;
    try {
      return await this.tryGrant(room, actor);
    } catch (error) {
      // Refused on read models that lag behind the log (a space just created, a member just
      // added)? Asked again once they have caught up: waits only while they lag.
      if (!(error instanceof LiveRefusal)) throw error;
      const head = await this.store.headPosition();
      const projections = ['spaces', room.kind === 'topic' ? 'forum_topics' : room.kind === 'document' ? 'documents' : 'spaces'];
      if (!(await this.runner.waitForPosition(head, LOOKUP_WAIT_MS, { projections }))) throw error;
      return this.tryGrant(room, actor);
    }
  }

  private async tryGrant(room: Exclude<ParsedRoom, { kind: 'user' }>, actor: Actor): Promise<GrantedRoom> {
    const spaceId = room.kind === 'space' ? room.id : await this.spaceOf(room.kind, room.id);
    if (!spaceId) throw LiveRefusal.noSuchRoom();
    await this.requireRead(spaceId, actor);
    return { ...room, spaceId };
  }

  /** Whether the actor may still be in a room granted earlier (after a change of rights). */
  async mayStay(room: GrantedRoom, actor: Actor): Promise<boolean> {
    if (!room.spaceId) return true;
    const access = await this.spaces.of(room.spaceId, actor);
    return access?.read === true;
  }

  private async requireRead(spaceId: string, actor: Actor): Promise<void> {
    try {
      await this.spaces.requireRead(spaceId, actor);
    } catch (error) {
      if (!isDomainError(error)) throw error;
      if (error.code === 'FORBIDDEN') throw new LiveRefusal({ code: 'FORBIDDEN', message: 'Only members read this space' });
      throw LiveRefusal.noSuchRoom();
    }
  }

  private async spaceOf(kind: 'topic' | 'document', id: string): Promise<string | undefined> {
    const row =
      kind === 'topic'
        ? await this.db.queryOne<{ space_id: string }>('SELECT space_id FROM forum_topics WHERE id = $1', [id])
        : await this.db.queryOne<{ space_id: string }>('SELECT space_id FROM documents WHERE id = $1', [id]);
    return row?.space_id;
  }
}
