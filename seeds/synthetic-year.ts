import { createHash } from 'node:crypto';
import cliProgress from 'cli-progress';
import { type Actor, type CommandMetadata, type Decider, DomainError, PIX_COMPETENCE_CODES } from '#ruche/domain-kit';
import { documentDecider, documentStreamName, type DocumentCommand, type DocumentEvent, type DocumentState } from '#ruche/documents';
import { type EventStore, type EventToAppend, NO_STREAM, WrongExpectedVersionError } from '#ruche/eventstore';
import { faqEntryDecider, faqStreamName, type FaqCommand, type FaqEntryState, type FaqEvent } from '#ruche/faq';
import { REACTION_EMOJIS, topicDecider, topicStreamName, type TopicCommand, type TopicEvent, type TopicState } from '#ruche/forums';
import { addDays, daysBetween, parisDay, schoolYearStart } from '#ruche/indicators';
import { eventIdOf, loadStream } from '#ruche/platform';
import { rightsOf, spaceDecider, spaceStreamName, type SpaceState } from '#ruche/spaces';
import { DEMO_SPACES } from './demo-academy.js';
import { DEMO_ESTABLISHMENTS } from './demo-establishments.js';

/*
 * The demo académie's school year so far: from 1 September to yesterday, plausible activity in
 * the TRIBU PIX académique space and in every establishment space (topics, replies, consultations,
 * reactions, fiches PIX and their revisions, FAQ entries published), so every chart has a trend.
 * It is decided by the real deciders from the spaces as the log holds them (members and rights
 * included), deterministic for a seed (mulberry32, ids derived from the seed), and written
 * straight to the store as the CommandRunner would (event ids from command ids, schemaVersion),
 * without the command bus: a year of commands one by one would slow every start. It only opens
 * new streams (topics, fiches, FAQ entries), each at the revision it expects, so a second run
 * meets its own events and writes nothing. Dormant establishments fall silent 40 days ago.
 * (libs/indicators/src/testing/synthetic-year.ts generates a whole académie from nothing, for
 * the benchmark; this one lives inside the demo's spaces.)
 */

export interface DemoYearOptions {
  /** The demo's people by key (seedDemoAcademy's answer): only members of a space act in it. */
  people: Map<string, Actor>;
  seed?: string;
  /** Paris days, default: the current school year's 1 September to yesterday. */
  from?: string;
  to?: string;
  /** Multiplies the activity (1 ≈ 15,000 events for the demo over September to November). */
  activity?: number;
  progress?: (done: number, total: number) => void;
}

export interface DemoYearResult {
  appends: number;
  events: number;
  /** Appends already in the log (a second run). */
  skipped: number;
}

interface Append {
  streamName: string;
  /** -1 for a new stream. */
  expectedRevision: number;
  events: EventToAppend[];
}

interface Stream<State> {
  name: string;
  state: State;
  revision: number;
}

interface SpaceLife {
  id: string;
  state: SpaceState;
  readers: Actor[];
  writers: Actor[];
  managers: Actor[];
  pace: number;
  /** Writes fiches and FAQ entries too (the demo's own spaces keep the demo's, as its tests know them). */
  content: boolean;
  /** The first and the last day index it lives (dormant spaces stop early). */
  opens: number;
  closes: number;
}

type Random = () => number;

function prng(seed: string): Random {
  let a = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fixedId(seed: string, kind: string, index: number): string {
  const hex = createHash('sha256').update(`${seed}:${kind}:${index}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function poisson(random: Random, mean: number): number {
  if (mean <= 0) return 0;
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random();
  while (p > limit) {
    k++;
    p *= random();
  }
  return k;
}

/** The UTC instant of a Paris time (summer time from April to October: ±1 h is plausible enough). */
function instant(day: string, hour: number, minute: number): number {
  const month = Number(day.slice(5, 7));
  const offset = month >= 4 && month <= 10 ? 2 : 1;
  return Date.parse(`${day}T00:00:00.000Z`) + ((hour - offset) * 60 + minute) * 60_000;
}

const isWeekday = (day: string): boolean => {
  const weekday = new Date(`${day}T12:00:00Z`).getUTCDay();
  return weekday >= 1 && weekday <= 5;
};

const TITLES = [
  'Campagne de positionnement : retours',
  'Codes de campagne PIX Orga',
  'Session de certification PIX',
  'Accès élèves à PIX via l’ENT',
  'Parcours PIX en 5e',
  'Tablettes et PIX',
  'Comptes élèves bloqués',
  'Inscription à la formation PIX Certif',
  'Résultats de la campagne de 2de',
  'Aménagements pour élèves à besoins particuliers',
];
const FAQ = [
  ['Comment réinitialiser le mot de passe PIX d’un élève ?', 'Depuis PIX Orga, onglet Élèves : « Gérer le compte ».'],
  ['Combien de temps dure une campagne de positionnement ?', 'Environ 45 minutes ; l’élève peut la reprendre plus tard.'],
  ['Qui inscrit les élèves à la certification ?', 'Le référent PIX, dans PIX Certif, à partir de l’import SIECLE.'],
];

/** Decides the year in memory: every append, in time order. No I/O. */
export function demoYearAppends(spaces: Array<Omit<SpaceLife, 'readers' | 'writers' | 'managers' | 'opens' | 'closes'> & { dormantAfter?: string; opensOn: string }>, people: Actor[], options: Omit<DemoYearOptions, 'people' | 'progress'> & { from: string; to: string }): Append[] {
  const seed = options.seed ?? 'ruche-demo-year';
  const random = prng(seed);
  const activity = options.activity ?? 1;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const appends: Append[] = [];
  let commands = 0;
  let ids = 0;
  const newId = () => fixedId(seed, 'id', ids++);

  function run<C, E extends { type: string; data: unknown }, S>(
    decider: Pick<Decider<C, E, S>, 'decide' | 'evolve' | 'eventSchemaVersions'>,
    stream: Stream<S>,
    command: C,
    actor: Actor,
  ): E[] {
    let events: E[];
    try {
      events = decider.decide(command, stream.state);
    } catch (error) {
      if (error instanceof DomainError) return [];
      throw error;
    }
    if (events.length === 0) return [];
    for (const event of events) stream.state = decider.evolve(stream.state, event);
    const commandId = fixedId(seed, 'command', commands++);
    appends.push({
      streamName: stream.name,
      expectedRevision: stream.revision,
      events: events.map((event, index) => ({
        id: eventIdOf(commandId, index),
        type: event.type,
        data: event.data,
        metadata: { commandId, userId: actor.userId, correlationId: 'seed-demo-year', schemaVersion: decider.eventSchemaVersions[event.type as E['type']] },
      })),
    });
    stream.revision += events.length;
    return events;
  }
  const meta = (actor: Actor, at: number): CommandMetadata => ({ actor, now: new Date(at) });

  const dayCount = daysBetween(options.from, options.to) + 1;
  const lives: SpaceLife[] = spaces.map((space) => {
    const members = people.filter((person) => space.state.status === 'active' && space.state.members.has(person.userId));
    const readers = members.filter((person) => rightsOf(space.state, person).read);
    return {
      ...space,
      readers,
      writers: readers.filter((person) => rightsOf(space.state, person).contribute),
      managers: members.filter((person) => rightsOf(space.state, person).manage),
      opens: Math.max(0, daysBetween(options.from, space.opensOn) + 1),
      closes: space.dormantAfter ? Math.min(dayCount - 1, daysBetween(options.from, space.dormantAfter)) : dayCount - 1,
    };
  });
  const topics: Array<{ stream: Stream<TopicState>; life: SpaceLife; openedDay: number }> = [];
  const documents: Array<{ stream: Stream<DocumentState>; id: string; life: SpaceLife; createdDay: number }> = [];

  for (let dayIndex = 0; dayIndex < dayCount; dayIndex++) {
    const day = addDays(options.from, dayIndex);
    if (!isWeekday(day)) continue;
    const intents: Array<{ at: number; act: () => void }> = [];
    const at = (): number => instant(day, 7 + Math.floor(random() * 13), Math.floor(random() * 60));
    // A slow start in September, busier as campaigns open.
    const season = Math.min(1, 0.4 + dayIndex / 60);
    const living = (life: SpaceLife) => dayIndex >= life.opens && dayIndex <= life.closes && life.writers.length > 0;

    for (const life of lives) {
      if (!living(life)) continue;
      const pace = life.pace * activity * season;
      for (let i = poisson(random, 0.35 * pace); i > 0; i--) {
        const when = at();
        const author = pick(life.writers);
        intents.push({
          at: when,
          act: () => {
            const topicId = newId();
            const stream: Stream<TopicState> = { name: topicStreamName(topicId), state: topicDecider.initialState(), revision: -1 };
            const data = { topicId, spaceId: life.id, postId: newId(), title: pick(TITLES), body: 'Bonjour, comment faites-vous dans votre établissement ?', rights: rightsOf(life.state, author) };
            if (run<TopicCommand, TopicEvent, TopicState>(topicDecider, stream, { type: 'OpenTopic', data, metadata: meta(author, when) } as TopicCommand, author).length > 0) {
              topics.push({ stream, life, openedDay: dayIndex });
            }
          },
        });
      }
      for (let i = life.content ? poisson(random, 0.06 * pace) : 0; i > 0; i--) {
        const when = at();
        const author = pick(life.writers);
        intents.push({
          at: when,
          act: () => {
            const documentId = newId();
            const stream: Stream<DocumentState> = { name: documentStreamName(documentId), state: documentDecider.initialState(), revision: -1 };
            // Some competences stay without any fiche, so the académie sees its gaps.
            const codes = [...new Set([pick(PIX_COMPETENCE_CODES.slice(0, 9)), pick(PIX_COMPETENCE_CODES.slice(0, 9))])];
            const data = { documentId, spaceId: life.id, title: 'Fiche PIX : activité en classe', body: '# Fiche\n\nDéroulé de la séance.', competences: codes, rights: rightsOf(life.state, author) };
            if (run<DocumentCommand, DocumentEvent, DocumentState>(documentDecider, stream, { type: 'CreateDocument', data, metadata: meta(author, when) } as DocumentCommand, author).length > 0) {
              documents.push({ stream, id: documentId, life, createdDay: dayIndex });
            }
          },
        });
      }
      if (life.content && life.managers.length > 0 && random() < 0.05 * pace) {
        const when = at();
        const author = pick(life.writers);
        const manager = pick(life.managers);
        const [question, answer] = pick(FAQ);
        intents.push({
          at: when,
          act: () => {
            const entryId = newId();
            const stream: Stream<FaqEntryState> = { name: faqStreamName(entryId), state: faqEntryDecider.initialState(), revision: -1 };
            const draft = { entryId, spaceId: life.id, rights: rightsOf(life.state, author), question, answer };
            run<FaqCommand, FaqEvent, FaqEntryState>(faqEntryDecider, stream, { type: 'DraftFaqEntry', data: draft, metadata: meta(author, when) } as FaqCommand, author);
            const later = when + 3_600_000;
            run<FaqCommand, FaqEvent, FaqEntryState>(faqEntryDecider, stream, { type: 'PublishFaqEntry', data: { rights: rightsOf(life.state, manager) }, metadata: meta(manager, later) } as FaqCommand, manager);
          },
        });
      }
    }
    // Replies, consultations and reactions on the topics of the last two weeks.
    for (const topic of topics) {
      const { life } = topic;
      if (!living(life)) continue;
      const fading = Math.max(0, 1 - (dayIndex - topic.openedDay) / 14) * life.pace * activity;
      for (let i = poisson(random, 0.5 * fading); i > 0; i--) {
        const when = at();
        const author = pick(life.writers);
        intents.push({
          at: when,
          act: () => {
            const data = { postId: newId(), body: 'Voici ce que nous faisons chez nous.', rights: rightsOf(life.state, author) };
            run<TopicCommand, TopicEvent, TopicState>(topicDecider, topic.stream, { type: 'PostReply', data, metadata: meta(author, when) } as TopicCommand, author);
          },
        });
      }
      for (let i = poisson(random, 1.6 * fading); i > 0; i--) {
        const when = at();
        const reader = pick(life.readers);
        intents.push({
          at: when,
          act: () => run<TopicCommand, TopicEvent, TopicState>(topicDecider, topic.stream, { type: 'ReadTopic', data: { rights: rightsOf(life.state, reader) }, metadata: meta(reader, when) } as TopicCommand, reader),
        });
      }
      if (random() < 0.2 * fading) {
        const when = at();
        const who = pick(life.writers);
        intents.push({
          at: when,
          act: () => {
            const state = topic.stream.state;
            if (state.status !== 'open') return;
            const data = { postId: state.openingPostId, emoji: pick(REACTION_EMOJIS), rights: rightsOf(life.state, who) };
            run<TopicCommand, TopicEvent, TopicState>(topicDecider, topic.stream, { type: 'AddReaction', data, metadata: meta(who, when) } as TopicCommand, who);
          },
        });
      }
    }
    for (const document of documents) {
      const { life } = document;
      if (!living(life)) continue;
      const fading = Math.max(0, 1 - (dayIndex - document.createdDay) / 30) * life.pace * activity;
      for (let i = poisson(random, 0.15 * fading); i > 0; i--) {
        const when = at();
        const author = pick(life.writers);
        intents.push({
          at: when,
          act: () => {
            const state = document.stream.state;
            const base = state.status === 'active' ? state.revision : 0;
            const data = { documentId: document.id, body: `# Fiche\n\nDéroulé de la séance, version ${base + 1}.`, baseRevision: base, rights: rightsOf(life.state, author) };
            run<DocumentCommand, DocumentEvent, DocumentState>(documentDecider, document.stream, { type: 'WriteDocumentContent', data, metadata: meta(author, when) } as DocumentCommand, author);
          },
        });
      }
      for (let i = poisson(random, 0.8 * fading); i > 0; i--) {
        const when = at();
        const reader = pick(life.readers);
        intents.push({
          at: when,
          act: () =>
            run<DocumentCommand, DocumentEvent, DocumentState>(
              documentDecider,
              document.stream,
              { type: 'ReadDocument', data: { documentId: document.id, rights: rightsOf(life.state, reader) }, metadata: meta(reader, when) } as DocumentCommand,
              reader,
            ),
        });
      }
    }
    intents.sort((a, b) => a.at - b.at);
    for (const intent of intents) intent.act();
    retainWhere(topics, (t) => dayIndex - t.openedDay < 14);
    retainWhere(documents, (d) => dayIndex - d.createdDay < 30);
  }
  return appends;
}

function retainWhere<T>(items: T[], keep: (item: T) => boolean): void {
  let kept = 0;
  for (const item of items) if (keep(item)) items[kept++] = item;
  items.length = kept;
}

/** Dormant establishments fall silent this many days before the last day. */
export const DEMO_DORMANT_DAYS = 40;

/**
 * Writes the demo's school year to `store`, after seedDemoAcademy: the TRIBU PIX académique space
 * and the establishment spaces (the demo personas' two included), each from the day after it
 * opened. A second run writes nothing.
 */
export async function seedSyntheticYear(store: EventStore, options: DemoYearOptions): Promise<DemoYearResult> {
  const today = parisDay(new Date());
  const from = options.from ?? schoolYearStart(today);
  const to = options.to ?? addDays(today, -1);
  if (to < from) return { appends: 0, events: 0, skipped: 0 };
  const dormantAfter = addDays(to, -DEMO_DORMANT_DAYS);
  const targets: Array<{ id: string; pace: number; dormant: boolean; content: boolean }> = [
    { id: DEMO_SPACES.tribuPix, pace: 3, dormant: false, content: false },
    { id: DEMO_SPACES.moulin, pace: 1.2, dormant: false, content: false },
    { id: DEMO_SPACES.curie, pace: 0.8, dormant: false, content: false },
    ...DEMO_ESTABLISHMENTS.map((e, i) => ({ id: e.spaceId, pace: 0.5 + (i % 4) * 0.3, dormant: !e.lively, content: true })),
  ];
  const spaces = [];
  for (const target of targets) {
    const loaded = await loadStream(store, spaceStreamName(target.id), spaceDecider);
    if (loaded.state.status !== 'active') continue;
    const [created] = await store.readStream(spaceStreamName(target.id), { maxCount: 1 });
    const createdAt = (created?.data as { at?: string } | undefined)?.at;
    spaces.push({
      id: target.id,
      state: loaded.state,
      pace: target.pace,
      content: target.content,
      opensOn: createdAt ? parisDay(createdAt) : from,
      ...(target.dormant ? { dormantAfter } : {}),
    });
  }
  const appends = demoYearAppends(spaces, [...options.people.values()], { seed: options.seed, activity: options.activity, from, to });
  const result: DemoYearResult = { appends: appends.length, events: 0, skipped: 0 };
  // The last append landed: the whole year did (appends land in order), nothing to do.
  const last = appends.at(-1);
  if (last && (await store.streamRevision(last.streamName)) >= last.expectedRevision + last.events.length) {
    options.progress?.(appends.length, appends.length);
    return { ...result, skipped: appends.length };
  }
  for (const [index, append] of appends.entries()) {
    try {
      await store.appendToStream(append.streamName, append.events, { expectedRevision: append.expectedRevision < 0 ? NO_STREAM : append.expectedRevision });
      result.events += append.events.length;
    } catch (error) {
      // A run cut short before: this append landed then.
      if (!(error instanceof WrongExpectedVersionError)) throw error;
      result.skipped++;
    }
    if (index % 200 === 199 || index === appends.length - 1) options.progress?.(index + 1, appends.length);
  }
  return result;
}

/** A progress bar on a terminal, a line every tenth otherwise (logs, CI). */
export function yearProgress(log: (line: string) => void): { update: (done: number, total: number) => void; stop: () => void } {
  if (process.stdout.isTTY) {
    const bar = new cliProgress.SingleBar({ format: 'Année scolaire de démonstration [{bar}] {percentage}% | {value}/{total} écritures', hideCursor: true }, cliProgress.Presets.shades_classic);
    let started = false;
    return {
      update: (done, total) => {
        if (!started) bar.start(total, 0);
        started = true;
        bar.update(done);
      },
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  let shown = -1;
  return {
    update: (done, total) => {
      const tenth = Math.floor((done * 10) / Math.max(1, total));
      if (tenth === shown) return;
      shown = tenth;
      log(`Année scolaire de démonstration : ${done}/${total} écritures (${tenth * 10} %)`);
    },
    stop: () => undefined,
  };
}
