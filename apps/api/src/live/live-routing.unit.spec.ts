import type { RecordedEvent } from '#ruche/eventstore';
import { mayNotify, rightsChange, routeEvent } from './live-routing.js';

const spaceId = '0192f0a0-0000-7000-8000-0000000000a1';
const topicId = '0192f0a0-0000-7000-8000-0000000000b2';
const userId = '0192f0a0-0000-7000-8000-0000000000c3';

const recorded = (streamName: string, type: string, data: Record<string, unknown>, revision = 3): RecordedEvent => ({
  id: '0192f0a0-0000-7000-8000-0000000000ff',
  type,
  data,
  metadata: { schemaVersion: 1 },
  streamName,
  revision,
  position: 42,
  createdAt: new Date(0),
});

describe('routeEvent', () => {
  it('sends a reply to its topic and its space, naming the post whose body it carries', () => {
    expect(routeEvent(recorded(`topic-${topicId}`, 'ReplyPosted', { topicId, spaceId, postId: 'p1', body: 'x' }))).toEqual({
      spaceId,
      rooms: [`topic:${topicId}`, `space:${spaceId}`],
      audience: { kind: 'readers' },
      postId: 'p1',
    });
  });

  it('names no post for events without a body', () => {
    expect(routeEvent(recorded(`topic-${topicId}`, 'PostDeleted', { topicId, spaceId, postId: 'p1' }))?.postId).toBeUndefined();
  });

  it("keeps consultations to their reader: they go to no room", () => {
    for (const type of ['TopicRead', 'TopicCaughtUp']) expect(routeEvent(recorded(`topic-${topicId}`, type, { topicId, spaceId, userId }))).toBeUndefined();
    expect(routeEvent(recorded(`document-${topicId}`, 'DocumentRead', { documentId: topicId, spaceId, userId }))).toBeUndefined();
  });

  it('sends a fiche to its room and its space', () => {
    expect(routeEvent(recorded(`document-${topicId}`, 'DocumentRevised', { documentId: topicId, spaceId, body: 'b' }))?.rooms).toEqual([
      `document:${topicId}`,
      `space:${spaceId}`,
    ]);
  });

  it('checks a FAQ entry at the event before its content travels, and lets publications go to every reader', () => {
    expect(routeEvent(recorded(`faq-${topicId}`, 'FaqEntryEdited', { entryId: topicId, spaceId, answer: 'a' }, 5))?.audience).toEqual({
      kind: 'faq',
      entryId: topicId,
      revision: 5,
    });
    expect(routeEvent(recorded(`faq-${topicId}`, 'FaqEntryPublished', { entryId: topicId, spaceId }))?.audience).toEqual({ kind: 'readers' });
  });

  it('keeps join requests to the managers and the requester', () => {
    expect(routeEvent(recorded(`space-${spaceId}`, 'JoinRequested', { spaceId, userId }))).toEqual({
      spaceId,
      rooms: [`space:${spaceId}`],
      audience: { kind: 'managers', also: [userId] },
    });
    expect(routeEvent(recorded(`space-${spaceId}`, 'MemberAdded', { spaceId, userId, role: 'reader' }))?.audience).toEqual({ kind: 'readers' });
  });

  it('sends events of other streams nowhere', () => {
    expect(routeEvent(recorded(`user-${userId}`, 'UserRegistered', { userId }))).toBeUndefined();
    expect(routeEvent(recorded(`notifications-${userId}`, 'NotificationsRead', { userId, upTo: 3 }))).toBeUndefined();
  });
});

describe('rightsChange', () => {
  it('names the member and space for removals, departures and new roles', () => {
    for (const type of ['MemberRemoved', 'MemberLeft', 'MemberRoleChanged']) expect(rightsChange(recorded(`space-${spaceId}`, type, { spaceId, userId }))).toEqual({ spaceId, userId });
  });
  it('names the whole space when its visibility changes', () => {
    expect(rightsChange(recorded(`space-${spaceId}`, 'SpaceVisibilityChanged', { spaceId, visibility: 'private' }))).toEqual({ spaceId });
  });
  it('names the person when their global roles change, not their name', () => {
    expect(rightsChange(recorded(`user-${userId}`, 'UserProfileUpdated', { userId, roles: ['dane'] }))).toEqual({ userId, spaceId: undefined });
    expect(rightsChange(recorded(`user-${userId}`, 'UserProfileUpdated', { userId, displayName: 'X' }))).toBeUndefined();
  });
  it('ignores content events', () => {
    expect(rightsChange(recorded(`topic-${topicId}`, 'ReplyPosted', { topicId, spaceId }))).toBeUndefined();
  });
});

describe('mayNotify', () => {
  it('knows the events that make notifications', () => {
    const types = ['ReplyPosted', 'TopicOpened', 'PostEdited', 'SolutionChosen', 'JoinRequestApproved', 'PostDeleted', 'MemberAdded'];
    expect(types.filter((type) => mayNotify(recorded('x-1', type, {})))).toEqual(['ReplyPosted', 'TopicOpened', 'PostEdited', 'SolutionChosen', 'JoinRequestApproved']);
  });
});
