import { countedFactOf, CONTRIBUTION_FIELDS, isContribution } from './counted-events.js';

const at = '2026-10-14T08:00:00.000Z';
const spaceId = 'space-1';
const topic = (type: string, data: object = {}) => ({ type, streamName: 'topic-t1', data: { topicId: 't1', spaceId, at, by: 'u-author', ...data } });
const document = (type: string, data: object = {}) => ({ type, streamName: 'document-d1', data: { documentId: 'd1', spaceId, at, by: 'u-author', ...data } });
const space = (type: string, data: object = {}) => ({ type, streamName: `space-${spaceId}`, data: { spaceId, at, by: 'u-manager', ...data } });
const faq = (type: string, data: object = {}) => ({ type, streamName: 'faq-f1', data: { entryId: 'f1', spaceId, at, by: 'u-manager', ...data } });

describe('what each event counts for', () => {
  it.each([
    ['TopicOpened', topic('TopicOpened'), 'topics', 'u-author'],
    ['ReplyPosted', topic('ReplyPosted'), 'replies', 'u-author'],
    ['TopicRead (a consultation)', topic('TopicRead', { userId: 'u-reader', by: 'u-reader' }), 'views', 'u-reader'],
    ['DocumentCreated', document('DocumentCreated'), 'documents', 'u-author'],
    ['DocumentRevised (a restore too)', document('DocumentRevised', { restoredFrom: 1 }), 'revisions', 'u-author'],
    ['DocumentRead', document('DocumentRead', { userId: 'u-reader', by: 'u-reader' }), 'views', 'u-reader'],
    ['MemberAdded (the new member)', space('MemberAdded', { userId: 'u-new', role: 'reader' }), 'newMembers', 'u-new'],
    ['MemberJoined', space('MemberJoined', { userId: 'u-new', by: 'u-new' }), 'newMembers', 'u-new'],
    ['JoinRequestApproved', space('JoinRequestApproved', { userId: 'u-new' }), 'newMembers', 'u-new'],
    ['FaqEntryPublished the first time', faq('FaqEntryPublished', { firstTime: true }), 'faqPublished', 'u-manager'],
  ])('%s', (_name, event, field, userId) => {
    expect(countedFactOf(event)).toEqual({ field, spaceId, userId, at });
  });

  it.each([
    ['TopicCaughtUp (a read mark, not a consultation)', topic('TopicCaughtUp', { userId: 'u-reader' })],
    ['PostEdited', topic('PostEdited', { postId: 'p', version: 2 })],
    ['PostDeleted', topic('PostDeleted', { postId: 'p' })],
    ['ReactionAdded', topic('ReactionAdded', { postId: 'p', emoji: '👍' })],
    ['SolutionChosen', topic('SolutionChosen', { postId: 'p' })],
    ['TopicLocked', topic('TopicLocked')],
    ['DocumentRetitled', document('DocumentRetitled', { title: 'x' })],
    ['DocumentCompetencesChanged', document('DocumentCompetencesChanged', { competences: [], previousCompetences: [] })],
    ['FaqEntryPublished again', faq('FaqEntryPublished', { firstTime: false })],
    ['FaqEntryDrafted', faq('FaqEntryDrafted')],
    ['MemberRoleChanged', space('MemberRoleChanged', { userId: 'u', role: 'manager', previousRole: 'reader' })],
    ['MemberLeft', space('MemberLeft', { userId: 'u' })],
    ['SpaceCreated', space('SpaceCreated', { name: 'x', kind: 'thematic', visibility: 'public', description: '' })],
    ['an event of another category with a counted type', { type: 'TopicOpened', streamName: 'user-u1', data: { at } }],
  ])('%s counts for nothing', (_name, event) => {
    expect(countedFactOf(event)).toBeUndefined();
  });

  it('calls contributions the writing of content, not consultations or arrivals', () => {
    expect([...CONTRIBUTION_FIELDS].sort()).toEqual(['documents', 'faqPublished', 'replies', 'revisions', 'topics']);
    expect(isContribution('views')).toBe(false);
    expect(isContribution('newMembers')).toBe(false);
  });
});
