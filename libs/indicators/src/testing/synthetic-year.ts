import { type Actor, type CommandMetadata, type Decider, DomainError, PIX_COMPETENCE_CODES } from '#ruche/domain-kit';
import { documentDecider, documentStreamName, type DocumentCommand, type DocumentEvent, type DocumentState } from '#ruche/documents';
import { faqEntryDecider, faqStreamName, type FaqCommand, type FaqEntryState, type FaqEvent } from '#ruche/faq';
import { REACTION_EMOJIS, topicDecider, topicStreamName, type TopicCommand, type TopicEvent, type TopicState } from '#ruche/forums';
import { userDecider, userStreamName, type UserCommand, type UserEvent, type UserState } from '#ruche/identity';
import { rightsOf, spaceDecider, spaceStreamName, type SpaceCommand, type SpaceEvent, type SpaceState } from '#ruche/spaces';
import { addDays, daysBetween } from '../calendar.js';
import { establishmentDecider, type EstablishmentCommand } from '../establishment.decide.js';
import { establishmentStreamName, type EstablishmentEvent, type EstablishmentState, type RecordedMilestone } from '../establishment.js';

/*
 * A plausible school year of an académie, from September to June, decided by the real deciders
 * (every event is one the domain would write, rules included), deterministic for a seed: the
 * same options give the same log. Establishments open their space during the autumn, record
 * their PIX milestones as the year goes, and live at their own pace: a few stay asleep.
 * No I/O, no clock: times are drawn from the seed.
 */

export interface SyntheticYearOptions {
  /** Establishments (each with its space, rrupn, chef d'établissement and teachers). */
  establishments: number;
  seed?: string;
  /** First and last days (Paris). Default: 1 September 2026 to 30 June 2027. */
  from?: string;
  to?: string;
  /** Multiplies the daily activity (1 ≈ 10,000 events per establishment and year). */
  activity?: number;
}

/** One event as the CommandRunner would append it: fixed id, command id and schema version. */
export interface YearEvent {
  id: string;
  type: string;
  data: unknown;
  metadata: { commandId: string; userId: string; schemaVersion: number };
}

/** One command's append: its stream and the events decided. */
export interface YearAppend {
  streamName: string;
  events: YearEvent[];
}

type Random = () => number;

/** mulberry32 from a string seed (FNV-1a): small, fast, and the same everywhere. */
function prng(seed: string): Random {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193);
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (random: Random, digits: number): string => {
  let out = '';
  for (let i = 0; i < digits; i++) out += Math.floor(random() * 16).toString(16);
  return out;
};

/** A UUIDv7-shaped id whose "time" is the event's: ids sort roughly by creation. */
function idAt(random: Random, ms: number): string {
  const time = ms.toString(16).padStart(12, '0').slice(-12);
  return `${time.slice(0, 8)}-${time.slice(8)}-7${hex(random, 3)}-${'89ab'[Math.floor(random() * 4)]}${hex(random, 3)}-${hex(random, 12)}`;
}

/** Poisson-distributed count of mean `mean` (Knuth; means stay small here). */
function poisson(random: Random, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * (random() + random() + random() - 1.5) * 2));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random();
  while (p > limit) {
    k++;
    p *= random();
  }
  return k;
}

interface Person extends Actor {
  establishment?: number;
}

interface Stream<State> {
  name: string;
  state: State;
}

interface LiveTopic {
  stream: Stream<TopicState>;
  spaceIndex: number;
  openedDay: number;
  replies: number;
}

interface LiveDocument {
  stream: Stream<DocumentState>;
  spaceIndex: number;
  createdDay: number;
}

interface SpaceLife {
  stream: Stream<SpaceState>;
  /** Establishment index, or -1 for the académie's spaces. */
  establishment: number;
  members: Person[];
  managers: Person[];
  /** Activity factor: some spaces live, some doze. */
  pace: number;
}

const TOPIC_TITLES = ['Activer PIX Orga', 'Campagne de rentrée', 'Certification PIX des 3e', 'ENT et mots de passe', 'Tablettes en classe', 'Parcours de positionnement', 'IA et devoirs', 'Réseau du collège', 'Sauvegardes', 'Identité numérique'];
const MILESTONE_ORDER: RecordedMilestone[] = [
  'referent_designated',
  'referent_trained_pix_orga',
  'pix_orga_activated',
  'digital_committee_set_up',
  'referent_trained_pix_certif',
  'pix_certif_activated',
];
const DEPARTMENTS = ['006', '083'];

/** The day's UTC instant for a Paris time `hour` (winter or summer time, ±1 h: plausible either way). */
function instant(day: string, hour: number, minute: number): number {
  const month = Number(day.slice(5, 7));
  const offset = month >= 4 && month <= 10 ? 2 : 1;
  return Date.parse(`${day}T00:00:00.000Z`) + ((hour - offset) * 60 + minute) * 60_000;
}

const isWeekday = (day: string): boolean => {
  const weekday = new Date(`${day}T12:00:00Z`).getUTCDay();
  return weekday >= 1 && weekday <= 5;
};

/**
 * The year, one append per command, in the order a real log would hold them (each day's
 * commands sorted by time). Events per establishment: about 10,000 at `activity` 1.
 */
export function* syntheticYear(options: SyntheticYearOptions): Generator<YearAppend> {
  const random = prng(options.seed ?? 'ruche-year');
  const from = options.from ?? '2026-09-01';
  const to = options.to ?? '2027-06-30';
  const activity = options.activity ?? 1;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

  /** Decides `command` on `stream` and yields its append; a refusal writes nothing. */
  function* run<C, E extends { type: string; data: unknown }, S>(
    decider: Pick<Decider<C, E, S>, 'decide' | 'evolve' | 'eventSchemaVersions'>,
    stream: Stream<S>,
    command: C,
    actor: Actor,
    at: number,
  ): Generator<YearAppend, E[]> {
    let events: E[];
    try {
      events = decider.decide(command, stream.state);
    } catch (error) {
      if (error instanceof DomainError) return [];
      throw error;
    }
    if (events.length === 0) return [];
    for (const event of events) stream.state = decider.evolve(stream.state, event);
    const commandId = idAt(random, at);
    yield {
      streamName: stream.name,
      events: events.map((event) => ({
        id: idAt(random, at),
        type: event.type,
        data: event.data,
        metadata: { commandId, userId: actor.userId, schemaVersion: decider.eventSchemaVersions[event.type as E['type']] },
      })),
    };
    return events;
  }
  const meta = (actor: Actor, at: number): CommandMetadata => ({ actor, now: new Date(at) });

  // People: the académie's, then each establishment's.
  const startMs = instant(from, 7, 30);
  const dane: Person = { userId: idAt(random, startMs), roles: ['dane'] };
  const cmine: Person = { userId: idAt(random, startMs), roles: ['cmine'] };
  const people: Person[] = [dane, cmine];
  const establishments: { uai: string; rrupn: Person; chef: Person; teachers: Person[]; opensOn: number; pace: number; milestones: Stream<EstablishmentState> }[] = [];
  for (let e = 0; e < options.establishments; e++) {
    const uai = `${DEPARTMENTS[e % DEPARTMENTS.length]}${String(1000 + e).padStart(4, '0')}${'ABCDEFGHJKLMNPRSTUVWXYZ'[e % 23]}`;
    const rrupn: Person = { userId: idAt(random, startMs), roles: ['rrupn', 'enseignant'], uai, establishment: e };
    const chef: Person = { userId: idAt(random, startMs), roles: ['chef_etablissement'], uai, establishment: e };
    const teachers: Person[] = [];
    const staff = 15 + Math.floor(random() * 25);
    for (let i = 0; i < staff; i++) teachers.push({ userId: idAt(random, startMs), roles: [i === 0 ? 'referent_pix' : 'enseignant'], uai, establishment: e });
    // Most open in September or October; one in ten sleeps through the year.
    const pace = random() < 0.1 ? 0.05 : 0.4 + random() * 1.2;
    establishments.push({ uai, rrupn, chef, teachers, opensOn: Math.floor(random() * random() * 70), pace, milestones: { name: establishmentStreamName(uai), state: establishmentDecider.initialState() } });
    people.push(rrupn, chef, ...teachers);
  }
  for (const [i, person] of people.entries()) {
    const command: UserCommand = {
      type: 'RegisterUser',
      data: { userId: person.userId, email: `personne${i}@ac-synthese.fr`, displayName: `Personne ${i}`, roles: [...person.roles], uai: person.uai },
      metadata: meta(person, startMs + i),
    };
    yield* run<UserCommand, UserEvent, UserState>(userDecider, { name: userStreamName(person.userId), state: userDecider.initialState() }, command, person, startMs + i);
  }

  const spaces: SpaceLife[] = [];
  const topics: LiveTopic[] = [];
  const documents: LiveDocument[] = [];
  const spaceCommand = (life: SpaceLife, actor: Actor, at: number, command: Omit<SpaceCommand, 'metadata'>) =>
    run<SpaceCommand, SpaceEvent, SpaceState>(spaceDecider, life.stream, { ...command, metadata: meta(actor, at) } as SpaceCommand, actor, at);
  function* createSpace(establishment: number, creator: Person, at: number, data: { name: string; kind: string; visibility: string; uai?: string }, pace: number) {
    const spaceId = idAt(random, at);
    const life: SpaceLife = { stream: { name: spaceStreamName(spaceId), state: spaceDecider.initialState() }, establishment, members: [creator], managers: [creator], pace };
    yield* spaceCommand(life, creator, at, { type: 'CreateSpace', data: { spaceId, ...data } });
    spaces.push(life);
    return life;
  }

  // The académie's space, and a few thematic ones.
  const academic = yield* createSpace(-1, dane, startMs + 60_000, { name: 'TRIBU PIX académique', kind: 'academic', visibility: 'public' }, 1);
  const thematicCount = Math.max(1, Math.round(options.establishments / 20));
  for (let i = 0; i < thematicCount; i++) {
    yield* createSpace(-1, pick(people.slice(2)), startMs + 120_000 + i, { name: `Thème ${i + 1}`, kind: 'thematic', visibility: pick(['public', 'public', 'restricted']) }, 0.5);
  }

  const rights = (life: SpaceLife, actor: Actor) => rightsOf(life.stream.state, actor);

  const dayCount = daysBetween(from, to) + 1;
  for (let dayIndex = 0; dayIndex < dayCount; dayIndex++) {
    const day = addDays(from, dayIndex);
    const schoolDay = isWeekday(day);
    const intents: { at: number; act: () => Generator<YearAppend, unknown> }[] = [];
    const at = (): number => instant(day, 7 + Math.floor(random() * 13), Math.floor(random() * 60));

    for (const [e, est] of establishments.entries()) {
      if (dayIndex === est.opensOn) {
        intents.push({
          at: instant(day, 8, 0),
          act: function* () {
            const life = yield* createSpace(e, est.rrupn, instant(day, 8, 0), { name: `Collège ${est.uai}`, kind: 'establishment', visibility: pick(['restricted', 'restricted', 'public', 'private']), uai: est.uai }, est.pace);
            let minute = 1;
            yield* spaceCommand(life, est.rrupn, instant(day, 8, minute++), { type: 'AddMember', data: { spaceId: spaceIdOf(life), userId: est.chef.userId, role: 'manager' } });
            life.managers.push(est.chef);
            life.members.push(est.chef);
            for (const teacher of est.teachers) {
              const role = random() < 0.8 ? 'contributor' : 'reader';
              yield* spaceCommand(life, est.rrupn, instant(day, 8, minute++ % 60), { type: 'AddMember', data: { spaceId: spaceIdOf(life), userId: teacher.userId, role } });
              life.members.push(teacher);
            }
            yield* spaceCommand(academic, est.rrupn, instant(day, 9, 0), { type: 'JoinSpace', data: { spaceId: spaceIdOf(academic) } });
            academic.members.push(est.rrupn);
          },
        });
      }
      // Milestones come in their order, now and then.
      const next = MILESTONE_ORDER.find((m) => !est.milestones.state.milestones.has(m));
      if (next && dayIndex >= est.opensOn - 10 && random() < 0.02 * Math.min(1, est.pace * 2)) {
        const by = random() < 0.7 ? est.rrupn : est.chef;
        const when = at();
        intents.push({
          at: when,
          act: () =>
            run<EstablishmentCommand, EstablishmentEvent, EstablishmentState>(
              establishmentDecider,
              est.milestones,
              { type: 'RecordMilestone', data: { uai: est.uai, milestone: next, ...(random() < 0.3 ? { date: addDays(day, -Math.floor(random() * 5)) } : {}) }, metadata: meta(by, when) },
              by,
              when,
            ),
        });
      }
    }

    if (schoolDay) {
      for (const [spaceIndex, life] of spaces.entries()) {
        if (life.stream.state.status !== 'active') continue;
        const pace = life.pace * activity;
        if (life.establishment === -1 && random() < 0.25 * Math.min(1, activity)) {
          // People of the establishments come to the académie's spaces now and then.
          const newcomer = pick(people);
          const when = at();
          intents.push({
            at: when,
            act: function* () {
              if (life.members.includes(newcomer)) return;
              yield* spaceCommand(life, newcomer, when, { type: 'JoinSpace', data: { spaceId: spaceIdOf(life) } });
              if (rights(life, newcomer).read) life.members.push(newcomer);
            },
          });
        }
        const contributors = life.members.filter((m) => rights(life, m).contribute);
        if (contributors.length === 0) continue;
        for (let i = poisson(random, 1.3 * pace); i > 0; i--) {
          const when = at();
          const author = pick(contributors);
          intents.push({
            at: when,
            act: function* () {
              const topicId = idAt(random, when);
              const stream: Stream<TopicState> = { name: topicStreamName(topicId), state: topicDecider.initialState() };
              const command: TopicCommand = {
                type: 'OpenTopic',
                data: { topicId, spaceId: spaceIdOf(life), postId: idAt(random, when), title: pick(TOPIC_TITLES), body: 'Bonjour, comment faites-vous ?', rights: rights(life, author) },
                metadata: meta(author, when),
              };
              if ((yield* run<TopicCommand, TopicEvent, TopicState>(topicDecider, stream, command, author, when)).length > 0) {
                topics.push({ stream, spaceIndex, openedDay: dayIndex, replies: 0 });
              }
            },
          });
        }
        for (let i = poisson(random, 0.2 * pace); i > 0; i--) {
          const when = at();
          const author = pick(contributors);
          intents.push({
            at: when,
            act: function* () {
              const documentId = idAt(random, when);
              const stream: Stream<DocumentState> = { name: documentStreamName(documentId), state: documentDecider.initialState() };
              const codes = [pick(PIX_COMPETENCE_CODES), pick(PIX_COMPETENCE_CODES)];
              const command: DocumentCommand = {
                type: 'CreateDocument',
                data: { documentId, spaceId: spaceIdOf(life), title: 'Fiche PIX', body: '# Fiche\n\nActivité en classe.', competences: codes, rights: rights(life, author) },
                metadata: meta(author, when),
              };
              if ((yield* run<DocumentCommand, DocumentEvent, DocumentState>(documentDecider, stream, command, author, when)).length > 0) {
                documents.push({ stream, spaceIndex, createdDay: dayIndex });
              }
            },
          });
        }
        if (random() < 0.07 * pace) {
          const when = at();
          const author = pick(contributors);
          const manager = pick(life.managers);
          intents.push({
            at: when,
            act: function* () {
              const entryId = idAt(random, when);
              const stream: Stream<FaqEntryState> = { name: faqStreamName(entryId), state: faqEntryDecider.initialState() };
              yield* run<FaqCommand, FaqEvent, FaqEntryState>(
                faqEntryDecider,
                stream,
                { type: 'DraftFaqEntry', data: { entryId, spaceId: spaceIdOf(life), rights: rights(life, author), question: 'Comment faire ?', answer: 'Ainsi.' }, metadata: meta(author, when) },
                author,
                when,
              );
              yield* run<FaqCommand, FaqEvent, FaqEntryState>(faqEntryDecider, stream, { type: 'PublishFaqEntry', data: { rights: rights(life, manager) }, metadata: meta(manager, when + 3_600_000) }, manager, when + 3_600_000);
            },
          });
        }
      }
      // Replies, reads and reactions on the topics of the last two weeks.
      for (const topic of topics) {
        const life = spaces[topic.spaceIndex]!;
        const age = dayIndex - topic.openedDay;
        const fading = Math.max(0, 1 - age / 14) * life.pace * activity;
        const readers = life.members.filter((m) => rights(life, m).read);
        const writers = readers.filter((m) => rights(life, m).contribute);
        for (let i = poisson(random, 1.1 * fading); i > 0; i--) {
          const when = at();
          const author = pick(writers);
          intents.push({
            at: when,
            act: () =>
              run<TopicCommand, TopicEvent, TopicState>(
                topicDecider,
                topic.stream,
                { type: 'PostReply', data: { postId: idAt(random, when), body: 'Voici ce que nous faisons.', rights: rights(life, author) }, metadata: meta(author, when) },
                author,
                when,
              ),
          });
        }
        for (let i = poisson(random, 4.8 * fading); i > 0; i--) {
          const when = at();
          const reader = pick(readers);
          intents.push({
            at: when,
            act: () => run<TopicCommand, TopicEvent, TopicState>(topicDecider, topic.stream, { type: 'ReadTopic', data: { rights: rights(life, reader) }, metadata: meta(reader, when) }, reader, when),
          });
        }
        if (random() < 0.4 * fading && topic.stream.state.status === 'open') {
          const when = at();
          const who = pick(writers);
          const post = topic.stream.state.openingPostId;
          intents.push({
            at: when,
            act: () =>
              run<TopicCommand, TopicEvent, TopicState>(
                topicDecider,
                topic.stream,
                { type: 'AddReaction', data: { postId: post, emoji: pick(REACTION_EMOJIS), rights: rights(life, who) }, metadata: meta(who, when) },
                who,
                when,
              ),
          });
        }
      }
      for (const document of documents) {
        const life = spaces[document.spaceIndex]!;
        const fading = Math.max(0, 1 - (dayIndex - document.createdDay) / 30) * life.pace * activity;
        const readers = life.members.filter((m) => rights(life, m).read);
        for (let i = poisson(random, 0.25 * fading); i > 0; i--) {
          const when = at();
          const author = pick(readers.filter((m) => rights(life, m).contribute));
          intents.push({
            at: when,
            act: () => {
              const state = document.stream.state;
              const base = state.status === 'active' ? state.revision : 0;
              return run<DocumentCommand, DocumentEvent, DocumentState>(
                documentDecider,
                document.stream,
                { type: 'WriteDocumentContent', data: { documentId: document.stream.name.slice(9), body: `# Fiche\n\nVersion ${base + 1}.`, baseRevision: base, rights: rights(life, author) }, metadata: meta(author, when) },
                author,
                when,
              );
            },
          });
        }
        for (let i = poisson(random, 1.2 * fading); i > 0; i--) {
          const when = at();
          const reader = pick(readers);
          intents.push({
            at: when,
            act: () =>
              run<DocumentCommand, DocumentEvent, DocumentState>(documentDecider, document.stream, { type: 'ReadDocument', data: { documentId: document.stream.name.slice(9), rights: rights(life, reader) }, metadata: meta(reader, when) }, reader, when),
          });
        }
      }
    }
    intents.sort((a, b) => a.at - b.at);
    for (const intent of intents) yield* intent.act();
    // Forget what no longer moves, so that a year of 200 establishments fits in memory.
    retain(topics, (t) => dayIndex - t.openedDay < 14);
    retain(documents, (d) => dayIndex - d.createdDay < 30);
  }
}

function spaceIdOf(life: SpaceLife): string {
  return life.stream.name.slice('space-'.length);
}

function retain<T>(items: T[], keep: (item: T) => boolean): void {
  let kept = 0;
  for (const item of items) if (keep(item)) items[kept++] = item;
  items.length = kept;
}
