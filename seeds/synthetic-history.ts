import { createHash } from 'node:crypto';
import type { Actor, CommandMetadata } from '#ruche/domain-kit';
import { userDecider, userStreamName, type UserCommand, type UserEvent, type UserState } from '#ruche/identity';
import { spaceDecider, spaceStreamName, type SpaceCommand, type SpaceEvent, type SpaceState } from '#ruche/spaces';

/** One append of the synthetic history: a stream and the events decided for it. */
export interface SyntheticAppend {
  streamName: string;
  events: Array<{ type: string; data: unknown }>;
}

export interface SyntheticHistoryOptions {
  /** How many users and spaces; each space gets about `eventsPerSpace` events. */
  users: number;
  spaces: number;
  eventsPerSpace: number;
  /** Same seed, same history. */
  seed?: string;
  start?: Date;
}

/** A small deterministic PRNG (mulberry32), so a history can be regenerated identically. */
function prng(seed: string): () => number {
  let a = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A UUID-shaped id derived from the seed, so reruns give the same ids. */
function fixedId(seed: string, kind: string, index: number): string {
  const hex = createHash('sha256').update(`${seed}:${kind}:${index}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * A plausible académie history built by the real deciders: every event is one the domain would
 * decide (rules included), with no I/O. Used by tests and benchmarks that need many events.
 */
export function* syntheticHistory(options: SyntheticHistoryOptions): Generator<SyntheticAppend> {
  const seed = options.seed ?? 'ruche';
  const random = prng(seed);
  let clock = (options.start ?? new Date('2026-09-01T08:00:00Z')).getTime();
  const meta = (actor: Actor): CommandMetadata => {
    clock += 1000 + Math.floor(random() * 60_000);
    return { actor, now: new Date(clock) };
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

  const users: Actor[] = [];
  for (let i = 0; i < options.users; i++) {
    const userId = fixedId(seed, 'user', i);
    const roles = i === 0 ? ['dane'] : [pick(['enseignant', 'referent_pix', 'rrupn', 'enseignant'])];
    const actor: Actor = { userId, roles, uai: roles[0] === 'rrupn' ? `${String(600000 + i).padStart(7, '0')}A` : undefined };
    users.push(actor);
    const command: UserCommand = {
      type: 'RegisterUser',
      data: { userId, email: `user${i}@ac-synth.fr`, displayName: `Personne ${i}`, roles, uai: actor.uai },
      metadata: meta(actor),
    };
    const events = userDecider.decide(command, userDecider.initialState() as UserState) as UserEvent[];
    yield { streamName: userStreamName(userId), events };
  }

  const dane = users[0]!;
  for (let s = 0; s < options.spaces; s++) {
    const spaceId = fixedId(seed, 'space', s);
    let state: SpaceState = spaceDecider.initialState();
    const events: SpaceEvent[] = [];
    const apply = (command: SpaceCommand): void => {
      try {
        const decided = spaceDecider.decide(command, state);
        for (const event of decided) state = spaceDecider.evolve(state, event);
        events.push(...decided);
      } catch {
        // A refused command is part of a plausible life too: it simply writes nothing.
      }
    };
    apply({
      type: 'CreateSpace',
      data: { spaceId, name: `Espace ${s}`, kind: 'thematic', visibility: pick(['public', 'restricted', 'private']) },
      metadata: meta(dane),
    });
    while (events.length < options.eventsPerSpace) {
      const user = pick(users.slice(1));
      const roll = random();
      if (roll < 0.35) apply({ type: 'JoinSpace', data: { spaceId }, metadata: meta(user) });
      else if (roll < 0.55) apply({ type: 'AddMember', data: { spaceId, userId: user.userId, role: pick(['reader', 'contributor']) }, metadata: meta(dane) });
      else if (roll < 0.7) apply({ type: 'ApproveJoinRequest', data: { spaceId, userId: user.userId }, metadata: meta(dane) });
      else if (roll < 0.8) apply({ type: 'ChangeMemberRole', data: { spaceId, userId: user.userId, role: pick(['reader', 'contributor', 'manager']) }, metadata: meta(dane) });
      else if (roll < 0.9) apply({ type: 'RemoveMember', data: { spaceId, userId: user.userId }, metadata: meta(random() < 0.5 ? dane : user) });
      else apply({ type: 'UpdateSpace', data: { spaceId, name: `Espace ${s} (${Math.floor(random() * 100)})` }, metadata: meta(dane) });
    }
    yield { streamName: spaceStreamName(spaceId), events };
  }
}
