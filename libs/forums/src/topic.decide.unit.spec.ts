import { foldEvents, MARKDOWN_MAX_BYTES } from '#ruche/domain-kit';
import { DeciderSpecification } from '#ruche/domain-kit/testing';
import { PersistentMap } from './persistent-map.js';
import { parseEmoji, parseTags, topicDecider } from './topic.decide.js';
import {
  actors,
  at,
  command,
  discussion,
  event,
  later,
  newPostId,
  now,
  openingPostId,
  otherTopicPostId,
  replyId,
  replyPosted,
  rights,
  secondReplyId,
  spaceId,
  topicId,
  topicOpened,
} from './topic.fixtures.js';
import { isTopicEvent, REACTION_EMOJIS, topicEventTypes, topicStreamName, type TopicEvent } from './topic.js';

const given = DeciderSpecification.for(topicDecider);
const { manager, author, contributor, reader, outsider } = actors;

const open = (data: Record<string, unknown> = {}, actor = author, r = rights.contribute) =>
  command('OpenTopic', { topicId, spaceId, postId: openingPostId, title: 'Activer PIX Orga', body: 'Comment fait-on ?', tags: ['PIX'], rights: r, ...data }, actor);
const reply = (data: Record<string, unknown> = {}, actor = contributor, r = rights.contribute) =>
  command('PostReply', { postId: newPostId, body: 'Voir la fiche.', rights: r, ...data }, actor);
const edit = (postId: string, actor = contributor, r = rights.contribute, body: unknown = 'Par l’ENT, onglet PIX.') =>
  command('EditPost', { postId, body, rights: r }, actor);
const remove = (postId: string, actor = contributor, r = rights.contribute) => command('DeletePost', { postId, rights: r }, actor);
const solution = (postId: unknown, actor = author, r = rights.contribute) => command('ChooseSolution', { postId, rights: r }, actor);
const addReaction = (emoji: unknown, actor = reader, r = rights.contribute, postId = replyId) =>
  command('AddReaction', { postId, emoji, rights: r }, actor);
const removeReaction = (emoji: unknown, actor = reader, r = rights.contribute, postId = replyId) =>
  command('RemoveReaction', { postId, emoji, rights: r }, actor);
const read = (actor = reader, when = now, r = rights.read) => command('ReadTopic', { rights: r }, actor, when);

describe('topic streams', () => {
  it('are named topic-<id> and list every event type once', () => {
    expect(topicStreamName(topicId)).toBe(`topic-${topicId}`);
    expect(new Set(topicEventTypes).size).toBe(topicEventTypes.length);
    expect(topicEventTypes).toHaveLength(14);
    expect(isTopicEvent(topicOpened())).toBe(true);
    expect(isTopicEvent({ type: 'SpaceCreated' })).toBe(false);
  });

  it('keep no bodies in the state', () => {
    const state = foldEvents(topicDecider, [...discussion(), event('PostEdited', { postId: replyId, body: 'secret v2', version: 2 }, contributor.userId)]);
    expect(JSON.stringify(state, (_k, v: unknown) => (v instanceof PersistentMap ? [...v.entries()] : v instanceof Map ? [...v] : v))).not.toMatch(
      /Comment fait-on|Par l’ENT|secret v2/,
    );
  });
});

describe('given no topic', () => {
  it('a contributor opens one, tags lower-cased and de-duplicated, title trimmed', () => {
    given([])
      .when(open({ title: '  Activer PIX Orga ', tags: ['PIX', ' pix ', 'Collège-2nd_cycle', 'évaluation'] }))
      .then(topicOpened(author.userId, { tags: ['pix', 'collège-2nd_cycle', 'évaluation'] }));
  });

  it('without tags, the topic has none', () => {
    given([]).when(open({ tags: undefined })).then(topicOpened(author.userId, { tags: [] }));
  });

  it('a manager opens one too', () => {
    given([]).when(open({}, manager, rights.manage)).then(topicOpened(manager.userId));
  });

  it.each([
    ['a private space’s non-member', rights.none, 'NOT_FOUND'],
    ['a restricted space’s non-member', rights.knowOnly, 'FORBIDDEN'],
    ['a reader', rights.read, 'FORBIDDEN'],
  ] as const)('%s may not open one', (_who, r, code) => {
    given([]).when(open({}, reader, r)).thenThrows(code);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a blank title', { title: '   ' }, 'title'],
    ['a 300-character title', { title: 'x'.repeat(300) }, 'title'],
    ['a title that is not text', { title: 42 }, 'title'],
    ['a blank body', { body: ' \n ' }, 'body'],
    ['a body that is not text', { body: null }, 'body'],
    ['tags that are not a list', { tags: 'pix' }, 'tags'],
    ['a tag with a space', { tags: ['pix orga'] }, 'tags'],
    ['an empty tag', { tags: [''] }, 'tags'],
    ['a tag of 31 characters', { tags: ['a'.repeat(31)] }, 'tags'],
    ['a tag with punctuation', { tags: ['<b>'] }, 'tags'],
    ['a tag starting with a dash', { tags: ['-pix'] }, 'tags'],
    ['11 tags', { tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }, 'tags'],
  ])('refuses %s', (_what, data, field) => {
    given([]).when(open(data)).thenThrows('VALIDATION', field);
  });

  it('refuses a body over 200 kB as too large', () => {
    given([]).when(open({ body: 'é'.repeat(MARKDOWN_MAX_BYTES / 2 + 1) })).thenThrows('TOO_LARGE', 'body');
  });

  it.each([
    ['replies to it', reply()],
    ['edits a post of it', edit(openingPostId)],
    ['reads it', read()],
    ['pins it', command('PinTopic', { rights: rights.manage }, manager)],
  ])('nobody %s: NOT_FOUND', (_what, cmd) => {
    given([]).when(cmd).thenThrows('NOT_FOUND');
  });
});

describe('given an open topic with a reply', () => {
  describe('replies', () => {
    it('a contributor replies', () => {
      given(discussion())
        .when(reply())
        .then(event('ReplyPosted', { postId: newPostId, body: 'Voir la fiche.' }, contributor.userId));
    });

    it('quoting a post of the topic', () => {
      given(discussion())
        .when(reply({ replyTo: openingPostId }))
        .then(event('ReplyPosted', { postId: newPostId, body: 'Voir la fiche.', replyTo: openingPostId }, contributor.userId));
    });

    it('a null replyTo is no quote', () => {
      given(discussion())
        .when(reply({ replyTo: null }))
        .then(event('ReplyPosted', { postId: newPostId, body: 'Voir la fiche.' }, contributor.userId));
    });

    it('refuses to quote a post of another topic, naming replyTo', () => {
      given(discussion()).when(reply({ replyTo: otherTopicPostId })).thenThrows('VALIDATION', 'replyTo');
    });

    it.each([
      ['a blank body', { body: '  ' }, 'VALIDATION'],
      ['a body over 200 kB', { body: 'x'.repeat(MARKDOWN_MAX_BYTES + 1) }, 'TOO_LARGE'],
    ] as const)('refuses %s', (_what, data, code) => {
      given(discussion()).when(reply(data)).thenThrows(code, 'body');
    });

    it.each([
      ['a reader', rights.read, 'FORBIDDEN'],
      ['a restricted space’s non-member', rights.knowOnly, 'FORBIDDEN'],
      ['a private space’s non-member', rights.none, 'NOT_FOUND'],
    ] as const)('%s may not reply', (_who, r, code) => {
      given(discussion()).when(reply({}, reader, r)).thenThrows(code);
    });

    it('a post id used twice is a conflict', () => {
      given(discussion()).when(reply({ postId: replyId })).thenThrows('CONFLICT');
    });
  });

  describe('edits', () => {
    it('its author edits a reply: version 2, then 3', () => {
      given(discussion()).when(edit(replyId)).then(event('PostEdited', { postId: replyId, body: 'Par l’ENT, onglet PIX.', version: 2 }, contributor.userId));
      given([...discussion(), event('PostEdited', { postId: replyId, body: 'v2', version: 2 }, contributor.userId)])
        .when(edit(replyId))
        .then(event('PostEdited', { postId: replyId, body: 'Par l’ENT, onglet PIX.', version: 3 }, contributor.userId));
    });

    it('the topic’s author edits the opening post', () => {
      given(discussion())
        .when(edit(openingPostId, author))
        .then(event('PostEdited', { postId: openingPostId, body: 'Par l’ENT, onglet PIX.', version: 2 }, author.userId));
    });

    it('a manager edits anyone’s post', () => {
      given(discussion())
        .when(edit(replyId, manager, rights.manage))
        .then(event('PostEdited', { postId: replyId, body: 'Par l’ENT, onglet PIX.', version: 2 }, manager.userId));
    });

    it.each([
      ['another contributor', author, rights.contribute],
      ['its author, now a reader', contributor, rights.read],
    ] as const)('%s may not edit it', (_who, actor, r) => {
      given(discussion()).when(edit(replyId, actor, r)).thenThrows('FORBIDDEN');
    });

    it('a post of another topic is not found', () => {
      given(discussion()).when(edit(otherTopicPostId)).thenThrows('NOT_FOUND');
    });

    it('refuses a blank body, naming it', () => {
      given(discussion()).when(edit(replyId, contributor, rights.contribute, '')).thenThrows('VALIDATION', 'body');
    });
  });

  describe('deletion', () => {
    it('its author deletes a post', () => {
      given(discussion()).when(remove(replyId)).then(event('PostDeleted', { postId: replyId }, contributor.userId));
    });

    it('a manager deletes anyone’s post, the opening one too', () => {
      given(discussion()).when(remove(openingPostId, manager, rights.manage)).then(event('PostDeleted', { postId: openingPostId }, manager.userId));
    });

    it('another contributor may not', () => {
      given(discussion()).when(remove(replyId, author)).thenThrows('FORBIDDEN');
    });

    it('a private space’s non-member gets NOT_FOUND', () => {
      given(discussion()).when(remove(replyId, contributor, rights.none)).thenThrows('NOT_FOUND');
    });
  });

  describe('moderation', () => {
    it.each([
      ['PinTopic', 'TopicPinned'],
      ['LockTopic', 'TopicLocked'],
    ] as const)('a manager sends %s', (type, eventType) => {
      given(discussion()).when(command(type, { rights: rights.manage }, manager)).then(event(eventType, {}, manager.userId));
    });

    it.each(['UnpinTopic', 'UnlockTopic'] as const)('%s on a topic that is not so does nothing', (type) => {
      given(discussion()).when(command(type, { rights: rights.manage }, manager)).thenNothingHappens();
    });

    it.each(['PinTopic', 'UnpinTopic', 'LockTopic', 'UnlockTopic'] as const)('a contributor (even the author) may not %s', (type) => {
      given(discussion()).when(command(type, { rights: rights.contribute }, author)).thenThrows('FORBIDDEN');
    });

    it('a private space’s non-member gets NOT_FOUND', () => {
      given(discussion()).when(command('PinTopic', { rights: rights.none }, outsider)).thenThrows('NOT_FOUND');
    });
  });

  describe('solution', () => {
    it('the topic’s author chooses a reply', () => {
      given(discussion()).when(solution(replyId)).then(event('SolutionChosen', { postId: replyId }, author.userId));
    });

    it('a manager chooses one', () => {
      given(discussion()).when(solution(replyId, manager, rights.manage)).then(event('SolutionChosen', { postId: replyId }, manager.userId));
    });

    it('another contributor may not', () => {
      given(discussion()).when(solution(replyId, contributor)).thenThrows('FORBIDDEN');
    });

    it('the topic’s author, now a reader, may not', () => {
      given(discussion()).when(solution(replyId, author, rights.read)).thenThrows('FORBIDDEN');
    });

    it.each([
      ['a post of another topic', otherTopicPostId],
      ['the opening post', openingPostId],
      ['no post', undefined],
    ])('refuses %s, naming postId', (_what, postId) => {
      given(discussion()).when(solution(postId)).thenThrows('VALIDATION', 'postId');
    });
  });

  describe('reactions', () => {
    it.each(REACTION_EMOJIS)('a contributor adds %s', (emoji) => {
      given(discussion()).when(addReaction(emoji, reader)).then(event('ReactionAdded', { postId: replyId, emoji }, reader.userId));
    });

    it('a heart typed without its variation selector is the allowed heart', () => {
      given(discussion()).when(addReaction('❤')).then(event('ReactionAdded', { postId: replyId, emoji: '❤️' }, reader.userId));
    });

    it('adding one already there does nothing; someone else adds theirs', () => {
      const reacted = [...discussion(), event('ReactionAdded', { postId: replyId, emoji: '👍' }, reader.userId)];
      given(reacted).when(addReaction('👍')).thenNothingHappens();
      given(reacted).when(addReaction('👍', author)).then(event('ReactionAdded', { postId: replyId, emoji: '👍' }, author.userId));
    });

    it('removing one: an absent one does nothing, a present one goes, then it may be added again', () => {
      const reacted = [...discussion(), event('ReactionAdded', { postId: replyId, emoji: '👍' }, reader.userId)];
      given(discussion()).when(removeReaction('👍')).thenNothingHappens();
      given(reacted).when(removeReaction('👍', author)).thenNothingHappens();
      given(reacted).when(removeReaction('👍')).then(event('ReactionRemoved', { postId: replyId, emoji: '👍' }, reader.userId));
      given([...reacted, event('ReactionRemoved', { postId: replyId, emoji: '👍' }, reader.userId)])
        .when(addReaction('👍'))
        .then(event('ReactionAdded', { postId: replyId, emoji: '👍' }, reader.userId));
    });

    it.each(['👎', 'thumbsup', '', 42])('refuses %p, naming emoji', (emoji) => {
      given(discussion()).when(addReaction(emoji)).thenThrows('VALIDATION', 'emoji');
    });

    it('a reader may not react', () => {
      given(discussion()).when(addReaction('👍', reader, rights.read)).thenThrows('FORBIDDEN');
    });

    it('a post of another topic is not found', () => {
      given(discussion()).when(addReaction('👍', reader, rights.contribute, otherTopicPostId)).thenThrows('NOT_FOUND');
    });
  });

  describe('reading', () => {
    it('a first read is a consultation', () => {
      given(discussion()).when(read()).then(event('TopicRead', { userId: reader.userId }, reader.userId));
    });

    it('a restricted space’s non-member may not; a private one’s gets NOT_FOUND', () => {
      given(discussion()).when(read(outsider, now, rights.knowOnly)).thenThrows('FORBIDDEN');
      given(discussion()).when(read(outsider, now, rights.none)).thenThrows('NOT_FOUND');
    });
  });
});

describe('given a reader who consulted the topic', () => {
  const consulted = [...discussion(), event('TopicRead', { userId: reader.userId }, reader.userId)];

  it('reading again within 30 minutes with nothing new writes nothing', () => {
    given(consulted).when(read(reader, later(29))).thenNothingHappens();
  });

  it('reading again after 30 minutes is a new consultation', () => {
    given(consulted)
      .when(read(reader, later(30)))
      .then(event('TopicRead', { userId: reader.userId }, reader.userId, later(30).toISOString()));
  });

  it('reading again within 30 minutes after a new reply moves the read mark, without a consultation', () => {
    given([...consulted, replyPosted(secondReplyId)])
      .when(read(reader, later(5)))
      .then(event('TopicCaughtUp', { userId: reader.userId }, reader.userId, later(5).toISOString()));
  });

  it('after catching up, reading again within the window writes nothing', () => {
    given([...consulted, replyPosted(secondReplyId), event('TopicCaughtUp', { userId: reader.userId }, reader.userId, later(5).toISOString())])
      .when(read(reader, later(10)))
      .thenNothingHappens();
  });

  it('the window counts from the last consultation, not from catching up', () => {
    given([...consulted, replyPosted(secondReplyId), event('TopicCaughtUp', { userId: reader.userId }, reader.userId, later(25).toISOString())])
      .when(read(reader, later(31)))
      .then(event('TopicRead', { userId: reader.userId }, reader.userId, later(31).toISOString()));
  });

  it('another user’s read is their own consultation', () => {
    given(consulted).when(read(outsider, later(1))).then(event('TopicRead', { userId: outsider.userId }, outsider.userId, later(1).toISOString()));
  });

  it('a poster who consulted has seen their own reply: nothing to mark within the window', () => {
    const posted = [...discussion(), event('TopicRead', { userId: contributor.userId }, contributor.userId), replyPosted(secondReplyId, contributor.userId)];
    given(posted).when(read(contributor, later(3), rights.contribute)).thenNothingHappens();
  });
});

describe('given a locked topic', () => {
  const locked = [...discussion(), event('TopicLocked', {}, manager.userId)];

  it('nobody replies, not even a manager', () => {
    given(locked).when(reply()).thenThrows('CONFLICT');
    given(locked).when(reply({}, manager, rights.manage)).thenThrows('CONFLICT');
  });

  it('access comes first: a reader is FORBIDDEN, a bad body is VALIDATION', () => {
    given(locked).when(reply({}, reader, rights.read)).thenThrows('FORBIDDEN');
    given(locked).when(reply({ body: '' })).thenThrows('VALIDATION', 'body');
  });

  it('its author may not edit a post; a manager may', () => {
    given(locked).when(edit(replyId)).thenThrows('CONFLICT');
    given(locked).when(edit(replyId, manager, rights.manage)).then(event('PostEdited', { postId: replyId, body: 'Par l’ENT, onglet PIX.', version: 2 }, manager.userId));
  });

  it('locking again does nothing; a manager unlocks it, then replies are welcome', () => {
    given(locked).when(command('LockTopic', { rights: rights.manage }, manager)).thenNothingHappens();
    given(locked).when(command('UnlockTopic', { rights: rights.manage }, manager)).then(event('TopicUnlocked', {}, manager.userId));
    given([...locked, event('TopicUnlocked', {}, manager.userId)])
      .when(reply())
      .then(event('ReplyPosted', { postId: newPostId, body: 'Voir la fiche.' }, contributor.userId));
  });
});

describe('given a pinned topic', () => {
  const pinned = [...discussion(), event('TopicPinned', {}, manager.userId)];

  it('pinning again does nothing; a manager unpins it', () => {
    given(pinned).when(command('PinTopic', { rights: rights.manage }, manager)).thenNothingHappens();
    given(pinned).when(command('UnpinTopic', { rights: rights.manage }, manager)).then(event('TopicUnpinned', {}, manager.userId));
  });
});

describe('given a deleted reply', () => {
  const deleted: TopicEvent[] = [...discussion(), event('PostDeleted', { postId: replyId }, contributor.userId)];

  it('editing it is a conflict, after access and validation', () => {
    given(deleted).when(edit(replyId)).thenThrows('CONFLICT');
    given(deleted).when(edit(replyId, author)).thenThrows('FORBIDDEN');
    given(deleted).when(edit(replyId, contributor, rights.contribute, ' ')).thenThrows('VALIDATION', 'body');
  });

  it('deleting it again does nothing', () => {
    given(deleted).when(remove(replyId)).thenNothingHappens();
  });

  it('it cannot become the solution', () => {
    given(deleted).when(solution(replyId)).thenThrows('VALIDATION', 'postId');
  });

  it('it gets no new reaction; removing one still works', () => {
    given(deleted).when(addReaction('👍')).thenThrows('CONFLICT');
    given([...discussion(), event('ReactionAdded', { postId: replyId, emoji: '🎉' }, reader.userId), event('PostDeleted', { postId: replyId }, contributor.userId)])
      .when(removeReaction('🎉'))
      .then(event('ReactionRemoved', { postId: replyId, emoji: '🎉' }, reader.userId));
  });

  it('it may still be quoted (the quote shows the placeholder)', () => {
    given(deleted)
      .when(reply({ replyTo: replyId }))
      .then(event('ReplyPosted', { postId: newPostId, body: 'Voir la fiche.', replyTo: replyId }, contributor.userId));
  });
});

describe('given a solved topic', () => {
  const solved = [...discussion(), replyPosted(secondReplyId, manager.userId), event('SolutionChosen', { postId: replyId }, author.userId)];

  it('choosing the same solution does nothing; another reply replaces it', () => {
    given(solved).when(solution(replyId)).thenNothingHappens();
    given(solved).when(solution(secondReplyId)).then(event('SolutionChosen', { postId: secondReplyId }, author.userId));
  });

  it('deleting the solution clears it', () => {
    given(solved)
      .when(remove(replyId))
      .then([event('PostDeleted', { postId: replyId }, contributor.userId), event('SolutionCleared', { postId: replyId }, contributor.userId)]);
  });

  it('deleting another reply leaves the solution', () => {
    given(solved).when(remove(secondReplyId, manager, rights.manage)).then(event('PostDeleted', { postId: secondReplyId }, manager.userId));
  });

  it('after the solution is cleared, the same reply... is deleted, so another one is chosen', () => {
    given([...solved, event('PostDeleted', { postId: replyId }, contributor.userId), event('SolutionCleared', { postId: replyId }, contributor.userId)])
      .when(solution(secondReplyId))
      .then(event('SolutionChosen', { postId: secondReplyId }, author.userId));
  });
});

describe('given a topic that exists already', () => {
  it('opening it again is a conflict', () => {
    given([topicOpened()]).when(open()).thenThrows('CONFLICT');
  });
});

describe('parsing helpers', () => {
  it('parseTags keeps order, lower-cases and removes duplicates; nothing given is no tag', () => {
    expect(parseTags(['B', 'a', 'b'])).toEqual(['b', 'a']);
    expect(parseTags(undefined)).toEqual([]);
    expect(parseTags(['x'.repeat(30)])).toEqual(['x'.repeat(30)]);
    expect(parseTags(Array.from({ length: 12 }, (_, i) => (i < 10 ? `t${i}` : 't0')))).toHaveLength(10);
  });

  it('parseEmoji accepts the allow-list only', () => {
    expect(parseEmoji('👀')).toBe('👀');
    expect(() => parseEmoji('💩')).toThrow(expect.objectContaining({ code: 'VALIDATION', field: 'emoji' }));
  });
});

describe('a long topic', () => {
  it('folds 5,000 posts into a state that still knows each one', () => {
    const events: TopicEvent[] = [topicOpened()];
    for (let i = 0; i < 5000; i++) events.push(replyPosted(`post-${i}`, `user-${i % 50}`, { body: 'x'.repeat(100) }));
    const state = foldEvents(topicDecider, events);
    expect(state.status === 'open' && [state.postCount, state.posts.size, state.posts.get('post-4999')?.authorId]).toEqual([5001, 5001, 'user-49']);
    given(events)
      .when(reply({ replyTo: 'post-17' }))
      .then(event('ReplyPosted', { postId: newPostId, body: 'Voir la fiche.', replyTo: 'post-17' }, contributor.userId));
  });

  it('never changes a state it folded from', () => {
    const before = foldEvents(topicDecider, discussion());
    const after = topicDecider.evolve(before, event('PostDeleted', { postId: replyId }, contributor.userId));
    expect(before.status === 'open' && before.posts.get(replyId)?.deleted).toBe(false);
    expect(after.status === 'open' && after.posts.get(replyId)?.deleted).toBe(true);
    expect(at).toBe(now.toISOString());
  });
});
