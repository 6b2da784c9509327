import type { RecordedEvent } from '#ruche/eventstore';
import type { LiveRoom } from '#ruche/live-client';

/**
 * Who in a room may receive an event:
 * - `readers`: everyone the room admits (its space's readers);
 * - `managers`: the space's managers and the dane, and `also` (e.g. the person a join request is about);
 * - `faq`: a FAQ entry's event: every reader when the entry was published at that point of the
 *   log, else its author, the managers and the dane (a draft is theirs alone).
 */
export type Audience = { kind: 'readers' } | { kind: 'managers'; also: readonly string[] } | { kind: 'faq'; entryId: string; revision: number };

/** Where an event goes and what must be checked before its data travels. */
export interface Routing {
  spaceId: string;
  rooms: LiveRoom[];
  audience: Audience;
  /** The forum post whose body the event carries: blanked when the post is deleted by then. */
  postId?: string;
}

const READERS: Audience = { kind: 'readers' };

/** Consultations are not shown to others (the HTTP API never tells who read what). */
const PRIVATE_TYPES = new Set(['TopicRead', 'TopicCaughtUp', 'DocumentRead']);
/** A join request is the requester's and the managers' business (GET join-requests is for managers). */
const JOIN_REQUEST_TYPES = new Set(['JoinRequested', 'JoinRequestRejected', 'JoinRequestCancelled']);
const POST_BODY_TYPES = new Set(['TopicOpened', 'ReplyPosted', 'PostEdited']);

/**
 * The rooms an event of the log goes to: a topic's events to `topic:<id>` and its space's room,
 * a fiche's to `document:<id>` and its space's, FAQ and space events to the space's room.
 * Events of other streams (users, e-mails, notification marks) go to no room.
 */
export function routeEvent(event: RecordedEvent): Routing | undefined {
  if (PRIVATE_TYPES.has(event.type)) return undefined;
  const data = event.data as Record<string, unknown> | null;
  const spaceId = typeof data?.spaceId === 'string' ? data.spaceId : undefined;
  if (!spaceId) return undefined;
  const dash = event.streamName.indexOf('-');
  const category = event.streamName.slice(0, dash);
  const id = event.streamName.slice(dash + 1);
  const space: LiveRoom = `space:${spaceId}`;
  switch (category) {
    case 'topic':
      return {
        spaceId,
        rooms: [`topic:${id}`, space],
        audience: READERS,
        ...(POST_BODY_TYPES.has(event.type) && typeof data?.postId === 'string' ? { postId: data.postId } : {}),
      };
    case 'document':
      return { spaceId, rooms: [`document:${id}`, space], audience: READERS };
    case 'faq':
      return {
        spaceId,
        rooms: [space],
        audience: event.type === 'FaqEntryPublished' || event.type === 'FaqEntryUnpublished' ? READERS : { kind: 'faq', entryId: id, revision: event.revision },
      };
    case 'space':
      return {
        spaceId,
        rooms: [space],
        audience: JOIN_REQUEST_TYPES.has(event.type) && typeof data?.userId === 'string' ? { kind: 'managers', also: [data.userId] } : READERS,
      };
    default:
      return undefined;
  }
}

/** Events after which someone's rights to a room may have changed: rooms are checked again. */
export function rightsChange(event: RecordedEvent): { spaceId?: string; userId?: string } | undefined {
  const data = event.data as Record<string, unknown> | null;
  const spaceId = typeof data?.spaceId === 'string' ? data.spaceId : undefined;
  const userId = typeof data?.userId === 'string' ? data.userId : undefined;
  switch (event.type) {
    case 'MemberRemoved':
    case 'MemberLeft':
    case 'MemberRoleChanged':
      return { spaceId, userId };
    case 'SpaceVisibilityChanged':
      return { spaceId };
    case 'UserProfileUpdated':
      return (data as { roles?: unknown } | null)?.roles !== undefined ? { userId } : undefined;
    default:
      return undefined;
  }
}

/** Events that may have written notifications (see the notifications projection). */
export function mayNotify(event: RecordedEvent): boolean {
  return (
    event.type === 'ReplyPosted' ||
    event.type === 'TopicOpened' ||
    event.type === 'PostEdited' ||
    event.type === 'SolutionChosen' ||
    event.type === 'JoinRequestApproved'
  );
}
