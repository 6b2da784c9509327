import type { Actor, SpaceRights } from '#ruche/domain-kit';
import type { TopicCommand } from './topic.decide.js';
import type { TopicEvent } from './topic.js';

/*
 * Shared fixtures of the forum specs: named actors with their rights, and event/command builders,
 * so that each test reads as given/when/then on events. Imported by *.unit.spec.ts only.
 */

export const now = new Date('2026-03-02T09:00:00.000Z');
export const at = now.toISOString();
export const spaceId = '0195a1b2-0000-7000-8000-00000000a001';
export const topicId = '0195a1b2-0000-7000-8000-00000000b001';
export const openingPostId = '0195a1b2-0000-7000-8000-00000000c000';
export const replyId = '0195a1b2-0000-7000-8000-00000000c001';
export const secondReplyId = '0195a1b2-0000-7000-8000-00000000c002';
export const newPostId = '0195a1b2-0000-7000-8000-00000000c0ff';
export const otherTopicPostId = '0195a1b2-0000-7000-8000-00000000d001';

export const actors = {
  manager: { userId: 'u-manager', roles: ['enseignant'] },
  author: { userId: 'u-author', roles: ['referent_pix'] },
  contributor: { userId: 'u-contributor', roles: ['enseignant'] },
  reader: { userId: 'u-reader', roles: ['inspecteur'] },
  outsider: { userId: 'u-outsider', roles: ['enseignant'] },
} satisfies Record<string, Actor>;

export const rights: Record<'manage' | 'contribute' | 'read' | 'knowOnly' | 'none', SpaceRights> = {
  manage: { mayKnow: true, read: true, contribute: true, manage: true },
  contribute: { mayKnow: true, read: true, contribute: true, manage: false },
  read: { mayKnow: true, read: true, contribute: false, manage: false },
  /** A restricted space's non-member: knows the space, may not read it. */
  knowOnly: { mayKnow: true, read: false, contribute: false, manage: false },
  /** A private space's non-member. */
  none: { mayKnow: false, read: false, contribute: false, manage: false },
};

type Data<T extends TopicCommand['type']> = Extract<TopicCommand, { type: T }>['data'];

/** A command of `type`, sent by `actor` at `when` (default `now`). */
export function command<T extends TopicCommand['type']>(type: T, data: Data<T>, actor: Actor, when: Date = now): Extract<TopicCommand, { type: T }> {
  return { type, data, metadata: { actor, now: when, correlationId: 'c-1' } } as Extract<TopicCommand, { type: T }>;
}

type Event<T extends TopicEvent['type']> = Extract<TopicEvent, { type: T }>;
type Extra<T extends TopicEvent['type']> = Omit<Event<T>['data'], 'topicId' | 'spaceId' | 'at' | 'by'>;

/** A topic event of `type` by `by`, stamped with this topic, space and `when` (default `at`). */
export function event<T extends TopicEvent['type']>(type: T, data: Extra<T>, by: string, when: string = at): Event<T> {
  return { type, data: { ...data, topicId, spaceId, at: when, by } } as unknown as Event<T>;
}

export const topicOpened = (by = actors.author.userId, extra: Partial<Extra<'TopicOpened'>> = {}) =>
  event('TopicOpened', { postId: openingPostId, title: 'Activer PIX Orga', body: 'Comment fait-on ?', tags: ['pix'], ...extra }, by);

export const replyPosted = (postId = replyId, by = actors.contributor.userId, extra: Partial<Extra<'ReplyPosted'>> = {}) =>
  event('ReplyPosted', { postId, body: 'Par l’ENT.', ...extra }, by);

/** A topic opened by `author`, with one reply by `contributor`. */
export const discussion = (): TopicEvent[] => [topicOpened(), replyPosted()];

/** `minutes` after `now`. */
export const later = (minutes: number): Date => new Date(now.getTime() + minutes * 60_000);
