import { Inject, Injectable } from '@nestjs/common';
import type { EventStore } from '#ruche/eventstore';
import { isTopicEvent, topicDecider, topicStreamName, type TopicEvent } from '#ruche/forums';
import { CommandRunner, EVENT_STORE } from '#ruche/platform';
import type { TopicToPromote } from '../faq-entry.decide.js';

/** How many events a backward search for the solution's latest body reads at a time. */
const PAGE = 200;

/**
 * What promote-to-faq needs of a forum topic, from the forums context's own stream: the
 * decider state (cached by the CommandRunner) gives the space, author and solution post; the
 * title and the solution's latest body are not kept there (states stay small), so they are read
 * from the stream's events: TopicOpened is revision 0, and the body's latest version is found by
 * reading backwards from the end (a promotion is rare, and the solution is usually recent).
 */
@Injectable()
export class TopicsForFaq {
  constructor(
    private readonly runner: CommandRunner,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  /** The topic, or undefined when there is none. */
  async load(topicId: string): Promise<TopicToPromote | undefined> {
    const stream = topicStreamName(topicId);
    const { state, revision } = await this.runner.load(stream, topicDecider);
    if (state.status !== 'open') return undefined;
    const [opened] = await this.store.readStream(stream, { fromRevision: 0, maxCount: 1 });
    if (!opened || opened.type !== 'TopicOpened') return undefined;
    const title = (opened.data as { title: string }).title;
    const base = { topicId, spaceId: state.spaceId, title, authorId: state.authorId };
    const postId = state.solutionPostId;
    if (postId === undefined) return base;
    const post = state.posts.get(postId);
    if (!post || post.deleted) return { ...base, solution: { postId, body: null } };
    return { ...base, solution: { postId, body: await this.latestBody(stream, postId, post.version, revision) } };
  }

  /** The body of `postId` at `version`, searching backwards from `upTo`. */
  private async latestBody(stream: string, postId: string, version: number, upTo: number): Promise<string | null> {
    for (let from = upTo; from >= 0; from -= PAGE) {
      const events = await this.store.readStream(stream, { direction: 'backwards', fromRevision: from, maxCount: PAGE });
      for (const recorded of events) {
        if (!isTopicEvent(recorded)) continue;
        const body = bodyOf(recorded, postId, version);
        if (body !== undefined) return body;
      }
      if (events.length < PAGE) break;
    }
    return null;
  }
}

function bodyOf(event: TopicEvent, postId: string, version: number): string | undefined {
  switch (event.type) {
    case 'PostEdited':
      return event.data.postId === postId && event.data.version === version ? event.data.body : undefined;
    case 'ReplyPosted':
    case 'TopicOpened':
      return event.data.postId === postId && version === 1 ? event.data.body : undefined;
    default:
      return undefined;
  }
}
