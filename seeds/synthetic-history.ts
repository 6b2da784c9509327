import { createHash } from 'node:crypto';
import {
  type Actor,
  type CommandMetadata,
  type Decider,
  DomainError,
  type DomainEvent,
  PIX_COMPETENCE_CODES,
  type PixCompetenceCode,
  type SpaceRights,
} from '#ruche/domain-kit';
import { documentDecider, documentStreamName, type DocumentCommand, type DocumentEvent, type DocumentState } from '#ruche/documents';
import type { EventToAppend } from '#ruche/eventstore';
import { faqEntryDecider, faqStreamName, type FaqCommand, type FaqEntryState, type FaqEvent } from '#ruche/faq';
import { REACTION_EMOJIS, topicDecider, topicStreamName, type TopicCommand, type TopicEvent, type TopicState } from '#ruche/forums';
import {
  establishmentDecider,
  establishmentStreamName,
  RECORDED_MILESTONES,
  type EstablishmentCommand,
  type EstablishmentEvent,
  type EstablishmentState,
} from '#ruche/indicators';
import { userDecider, userStreamName, type UserCommand, type UserEvent, type UserState } from '#ruche/identity';
import { eventIdOf } from '#ruche/platform';
import { rightsOf, spaceDecider, spaceStreamName, type Space, type SpaceCommand, type SpaceEvent, type SpaceState } from '#ruche/spaces';

/** One append of the synthetic history: a stream and the events decided for it. */
export interface SyntheticAppend {
  streamName: string;
  /** With the id, commandId and schemaVersion the CommandRunner would have given them. */
  events: EventToAppend[];
  /**
   * Later appends depend on this one, or it on earlier ones (a space on its members' accounts,
   * a topic on its space, an FAQ entry on the topic promoted): append it alone, once every
   * earlier append has landed and before any later one, as a command handler reads the
   * streams it depends on before writing. The others may go concurrently.
   */
  ordered: boolean;
}

/**
 * Forum topics, FAQ entries and fiches PIX written in each space, on average; with content, the
 * RRUPNs' establishments also record their PIX deployment milestones.
 */
export interface SyntheticContentOptions {
  topicsPerSpace: number;
  faqEntriesPerSpace: number;
  documentsPerSpace: number;
}

export interface SyntheticHistoryOptions {
  /** How many users and spaces; each space gets about `eventsPerSpace` events of membership. */
  users: number;
  spaces: number;
  eventsPerSpace: number;
  /** The content of each space, written after its membership; none when absent. */
  content?: SyntheticContentOptions;
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

/** A command without its metadata (distributive: each command type keeps its own data). */
type Unsent<Command> = Command extends unknown ? Omit<Command, 'metadata'> : never;

/** A command as a handler builds it: metadata plus the id its events derive their ids from. */
interface Issued {
  metadata: CommandMetadata;
  commandId: string;
}

/**
 * One stream written through its decider, as the CommandRunner would: decide on the current
 * state, fold what was decided, record each event with its derived id and metadata. A refused
 * command (DomainError) writes nothing, as it would through the API.
 */
class StreamHistory<Command, Event extends DomainEvent, State> {
  state: State;
  readonly events: EventToAppend[] = [];
  ordered = false;

  constructor(
    readonly streamName: string,
    private readonly decider: Decider<Command, Event, State>,
  ) {
    this.state = decider.initialState();
  }

  run(command: Unsent<Command>, issued: Issued): Event[] {
    let decided: Event[];
    try {
      decided = this.decider.decide({ ...command, metadata: issued.metadata } as Command, this.state);
    } catch (error) {
      // A refused command is part of a plausible life too: it simply writes nothing.
      if (error instanceof DomainError) return [];
      throw error;
    }
    decided.forEach((event, index) => {
      this.state = this.decider.evolve(this.state, event);
      this.events.push({
        id: eventIdOf(issued.commandId, index),
        type: event.type,
        data: event.data,
        metadata: {
          commandId: issued.commandId,
          userId: issued.metadata.actor.userId,
          correlationId: issued.commandId,
          causationId: issued.commandId,
          schemaVersion: this.decider.eventSchemaVersions[event.type as Event['type']],
        },
      });
    });
    return decided;
  }

  toAppend(): SyntheticAppend {
    return { streamName: this.streamName, events: this.events, ordered: this.ordered };
  }
}

/*
 * Text material: forum posts, FAQ answers and fiches read like the académie's, in Markdown
 * with its usual constructs (lists, emphasis, links, quotes, code), a few hundred bytes to a
 * few kB each.
 */
const TOPIC_TITLES = [
  'Campagne PIX de rentrée : qui a déjà ouvert sa campagne ?',
  'Problème de connexion ENT avec les comptes élèves',
  'Retour d’expérience : certification PIX en 3e',
  'Quel outil pour les cartes mentales en classe ?',
  'Paramétrer PIX Orga pour plusieurs classes',
  'Tablettes en prêt : charte et suivi',
  'Les parcours PIX adaptés aux élèves à besoins particuliers',
  'Formation comité numérique : dates et inscriptions',
  'Protection des données : quelles applis sont autorisées ?',
  'Capsules vidéo en sciences : partage de ressources',
  'Réunion des référents PIX du bassin',
  'Impression 3D au CDI : retours',
];
const TAGS = ['pix', 'ent', 'certification', 'rgpd', 'tablettes', 'formation', 'orga', 'cdi', 'sciences', 'collège', 'lycée', 'éducation-médias'];
const SENTENCES = [
  'Nous avons lancé la campagne avec les classes de 5e la semaine dernière.',
  'Les élèves se connectent via l’ENT, sans identifiant supplémentaire.',
  'Pensez à vérifier que le **code campagne** est bien communiqué aux professeurs principaux.',
  'Le référent PIX de l’établissement peut débloquer les comptes en cas de souci.',
  'Voir la [documentation officielle](https://pix.fr/) pour le détail des paliers.',
  'Chez nous la salle informatique est réservée le mardi matin pour ces séances.',
  'Attention au navigateur : certaines versions anciennes posent problème.',
  'J’ai préparé une fiche pas à pas, je la dépose dans les documents de l’espace.',
  'La DANE propose une formation à distance en novembre.',
  'Les résultats sont consultables dans PIX Orga dès la fin du parcours.',
  'On peut exporter les résultats au format `csv` pour le conseil de classe.',
  'Le comité numérique s’est réuni pour valider la charte d’usage.',
  'Il faut compter environ 45 minutes par séance pour un parcours de rentrée.',
  'Les élèves en situation de handicap peuvent bénéficier d’un temps majoré.',
  '_Merci_ pour ce retour très utile !',
  'Quelqu’un a-t-il testé avec des tablettes sous iPadOS ?',
];
const FAQ_QUESTIONS = [
  'Comment réinitialiser le mot de passe PIX d’un élève ?',
  'Qui peut ouvrir une campagne PIX Orga ?',
  'Combien de temps dure une session de certification ?',
  'Quelles applications respectent le RGPD ?',
  'Comment rejoindre l’espace des référents ?',
  'Où trouver les codes campagne de mon établissement ?',
  'Peut-on passer la certification sur tablette ?',
  'Comment signaler un incident pendant une session ?',
];
const FAQ_CATEGORIES = ['Général', 'PIX Orga', 'Certification', 'Données personnelles', 'Équipements'];
const DOCUMENT_TITLES = [
  'Fiche : organiser une session de certification PIX',
  'Fiche : créer une campagne PIX Orga',
  'Fiche : sécuriser les comptes élèves',
  'Fiche : mener une veille informationnelle avec les élèves',
  'Fiche : publier sur le site de l’établissement',
  'Fiche : collaborer sur un document partagé',
  'Fiche : programmer avec Scratch en cycle 4',
];
const LINES = [
  '## Objectif',
  '## Déroulé de la séance',
  '## Matériel',
  '## Points de vigilance',
  '- Vérifier la connexion de chaque poste avant la séance.',
  '- Prévoir une liste des identifiants de secours.',
  '- Expliquer aux élèves le barème des paliers.',
  '- Laisser 10 minutes pour les questions.',
  '1. Se connecter à PIX Orga avec son compte académique.',
  '2. Choisir le profil cible adapté au niveau.',
  '3. Communiquer le code aux élèves.',
  'Les élèves travaillent en autonomie, le professeur circule.',
  'En fin de séance, exporter les résultats et les archiver.',
  '> Conseil : tester le parcours soi-même avant de le proposer.',
  '```\nCode campagne : ABCD1234\n```',
  'Cette fiche a été relue par le groupe des référents du bassin.',
];

/** Who does what in one space: rights from the space's stream, as SpaceAccess.forCommand gives them. */
class SpacePeople {
  readonly members: Actor[];
  readonly contributors: Actor[];
  readonly managers: Actor[];

  constructor(
    readonly space: Space,
    private readonly users: readonly Actor[],
    private readonly pick: <T>(items: readonly T[]) => T,
    private readonly random: () => number,
  ) {
    const byId = new Map(users.map((user) => [user.userId, user]));
    const members = [...space.members.entries()].map(([userId, role]) => ({ actor: byId.get(userId)!, role }));
    this.members = members.map((m) => m.actor);
    this.contributors = members.filter((m) => m.role !== 'reader').map((m) => m.actor);
    this.managers = members.filter((m) => m.role === 'manager').map((m) => m.actor);
  }

  rights(actor: Actor): SpaceRights {
    return rightsOf(this.space, actor);
  }

  /** Mostly a contributor; now and then anyone (whose attempt may well be refused). */
  writer(): Actor {
    return this.random() < 0.95 && this.contributors.length > 0 ? this.pick(this.contributors) : this.pick(this.users);
  }

  manager(): Actor {
    return this.pick(this.managers);
  }

  /** Mostly a member; anyone for the rest (a public space's readers, a stranger's 403/404). */
  reader(): Actor {
    return this.random() < 0.75 && this.members.length > 0 ? this.pick(this.members) : this.pick(this.users);
  }
}

/**
 * A plausible académie history built by the real deciders: every event is one the domain would
 * decide (rules included), with no I/O. Used by tests and benchmarks that need many events.
 * Users first, then each space: its membership, then (with `content`) its forum topics, FAQ
 * entries and fiches PIX, their commands interleaved in time as a space's life is; last, the
 * establishments' PIX milestones.
 */
export function* syntheticHistory(options: SyntheticHistoryOptions): Generator<SyntheticAppend> {
  const seed = options.seed ?? 'ruche';
  const random = prng(seed);
  // The content draws from a generator of its own: a seed gives the same users and memberships
  // with or without it (only their times move, the clock running on through the content).
  const contentRandom = prng(`${seed}:content`);
  let clock = (options.start ?? new Date('2026-09-01T08:00:00Z')).getTime();
  let commands = 0;
  const issue = (actor: Actor, step: number): Issued => {
    clock += step;
    return { metadata: { actor, now: new Date(clock) }, commandId: fixedId(seed, 'command', commands++) };
  };
  const meta = (actor: Actor): Issued => issue(actor, 1000 + Math.floor(random() * 60_000));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

  const users: Actor[] = [];
  for (let i = 0; i < options.users; i++) {
    const userId = fixedId(seed, 'user', i);
    const roles = i === 0 ? ['dane'] : [pick(['enseignant', 'referent_pix', 'rrupn', 'enseignant'])];
    const actor: Actor = { userId, roles, uai: roles[0] === 'rrupn' ? `${String(600000 + i).padStart(7, '0')}A` : undefined };
    users.push(actor);
    const stream = new StreamHistory<UserCommand, UserEvent, UserState>(userStreamName(userId), userDecider);
    stream.run(
      { type: 'RegisterUser', data: { userId, email: `user${i}@ac-synth.fr`, displayName: `Personne ${i}`, roles, uai: actor.uai } },
      meta(actor),
    );
    yield stream.toAppend();
  }

  const dane = users[0]!;
  const content = options.content ? new ContentWriter(seed, contentRandom, issue, users) : undefined;
  for (let s = 0; s < options.spaces; s++) {
    const spaceId = fixedId(seed, 'space', s);
    const stream = new StreamHistory<SpaceCommand, SpaceEvent, SpaceState>(spaceStreamName(spaceId), spaceDecider);
    // Its members are users already registered, and its content depends on it.
    stream.ordered = true;
    const apply = (command: Unsent<SpaceCommand>, actor: Actor): void => void stream.run(command, meta(actor));
    const visibility = pick(['public', 'restricted', 'private'] as const);
    apply({ type: 'CreateSpace', data: { spaceId, name: `Espace ${s}`, kind: 'thematic', visibility } }, dane);
    while (stream.events.length < options.eventsPerSpace) {
      const user = pick(users.slice(1));
      const roll = random();
      if (roll < 0.35) apply({ type: 'JoinSpace', data: { spaceId } }, user);
      else if (roll < 0.55) apply({ type: 'AddMember', data: { spaceId, userId: user.userId, role: pick(['reader', 'contributor']) } }, dane);
      else if (roll < 0.7) apply({ type: 'ApproveJoinRequest', data: { spaceId, userId: user.userId } }, dane);
      else if (roll < 0.8) {
        apply({ type: 'ChangeMemberRole', data: { spaceId, userId: user.userId, role: pick(['reader', 'contributor', 'manager']) } }, dane);
      } else if (roll < 0.9) apply({ type: 'RemoveMember', data: { spaceId, userId: user.userId } }, random() < 0.5 ? dane : user);
      else apply({ type: 'UpdateSpace', data: { spaceId, name: `Espace ${s} (${Math.floor(random() * 100)})` } }, dane);
    }
    yield stream.toAppend();
    if (content && options.content && stream.state.status === 'active') yield* content.spaceContent(stream.state, options.content, s);
  }
  if (content) yield* content.milestones(dane);
}

type TopicStream = StreamHistory<TopicCommand, TopicEvent, TopicState>;
type FaqStream = StreamHistory<FaqCommand, FaqEvent, FaqEntryState>;
type DocumentStream = StreamHistory<DocumentCommand, DocumentEvent, DocumentState>;

/** What the generator remembers of a topic's posts: the read models keep bodies, the decider does not. */
interface PostNote {
  postId: string;
  authorId: string;
  body: string | null;
}

/** A stream's life in a space: `budget` more commands to send, one per `step`. */
interface Life {
  budget: number;
  step(): void;
}

/** The forums, FAQ and fiches of each space, through topicDecider, faqEntryDecider and documentDecider. */
class ContentWriter {
  private ids = 0;

  constructor(
    private readonly seed: string,
    private readonly random: () => number,
    private readonly issue: (actor: Actor, step: number) => Issued,
    private readonly users: readonly Actor[],
  ) {}

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private id(kind: string): string {
    return fixedId(this.seed, kind, this.ids++);
  }

  /** Mostly a minute or two between commands, now and then hours (a night, a weekend's start). */
  private meta(actor: Actor): Issued {
    const step = this.random() < 0.02 ? 3_600_000 + Math.floor(this.random() * 11 * 3_600_000) : 5_000 + Math.floor(this.random() * 115_000);
    return this.issue(actor, step);
  }

  /** A count around `mean` (0 to 2 × mean). */
  private around(mean: number): number {
    return Math.floor(this.random() * (2 * mean + 1));
  }

  private paragraph(): string {
    const count = 1 + Math.floor(this.random() * 3);
    return Array.from({ length: count }, () => this.pick(SENTENCES)).join(' ');
  }

  /** "@Personne 12" or "@user12" (display name or e-mail local part) of one of the space's members. */
  private mention(people: SpacePeople): string {
    const index = this.users.indexOf(this.pick(people.members));
    return this.random() < 0.5 ? `@Personne ${index}` : `@user${index}`;
  }

  /** A forum post; with `people`, one in eight names a member of the space with an @. */
  private postBody(people?: SpacePeople): string {
    const paragraphs = [this.paragraph()];
    if (people && this.random() < 0.125) paragraphs[0] = `${this.mention(people)} ${paragraphs[0]}`;
    if (this.random() < 0.4) paragraphs.push(this.paragraph());
    if (this.random() < 0.15) paragraphs.push(['- ', '- ', '- '].map((dash) => dash + this.pick(SENTENCES)).join('\n'));
    return paragraphs.join('\n\n');
  }

  private documentBody(): string {
    const count = 8 + Math.floor(this.random() * 24);
    return Array.from({ length: count }, () => this.pick(LINES)).join('\n');
  }

  /** A new version of a fiche: a few lines changed, added or removed, as people edit. */
  private reviseBody(body: string): string {
    const lines = body.split('\n');
    const changes = 1 + Math.floor(this.random() * 3);
    for (let i = 0; i < changes; i++) {
      const at = Math.floor(this.random() * lines.length);
      const roll = this.random();
      if (roll < 0.4) lines[at] = this.pick(LINES);
      else if (roll < 0.8 || lines.length < 4) lines.splice(at, 0, this.pick(SENTENCES));
      else lines.splice(at, 1);
    }
    return lines.join('\n');
  }

  private competences(): PixCompetenceCode[] {
    const count = 1 + Math.floor(this.random() * 3);
    return Array.from({ length: count }, () => this.pick(PIX_COMPETENCE_CODES));
  }

  /** A budget of commands: most streams are short, a few long (a busy thread, a much-edited fiche). */
  private budget(typical: number, long: number): number {
    return this.random() < 0.03 ? long + Math.floor(this.random() * long) : 1 + Math.floor(this.random() ** 2 * 3 * typical);
  }

  *spaceContent(space: Space, options: SyntheticContentOptions, index: number): Generator<SyntheticAppend> {
    const people = new SpacePeople(space, this.users, (items) => this.pick(items), this.random);
    if (people.contributors.length === 0) return;
    const topics: Array<{ stream: TopicStream; title: string; posts: PostNote[] }> = [];
    const faqs: FaqStream[] = [];
    const documents: DocumentStream[] = [];
    const lives: Life[] = [];
    for (let i = this.around(options.topicsPerSpace); i > 0; i--) lives.push(this.topicLife(space, people, topics));
    for (let i = this.around(options.faqEntriesPerSpace); i > 0; i--) lives.push(this.faqLife(space, people, faqs));
    for (let i = this.around(options.documentsPerSpace); i > 0; i--) lives.push(this.documentLife(space, people, documents, index));
    // The space's streams live side by side: each command goes to one of the lives still going.
    for (let live = lives.filter((l) => l.budget > 0); live.length > 0; live = live.filter((l) => l.budget > 0)) {
      const life = this.pick(live);
      life.budget--;
      life.step();
    }
    // Solved topics end up in the FAQ now and then, promoted by their author or a manager.
    for (const topic of topics) {
      const state = topic.stream.state;
      if (state.status !== 'open' || !state.solutionPostId || this.random() < 0.6) continue;
      const solution = topic.posts.find((post) => post.postId === state.solutionPostId)!;
      const actor = this.random() < 0.5 ? people.manager() : people.members.find((m) => m.userId === state.authorId) ?? people.manager();
      const entryId = this.id('faq');
      const faq: FaqStream = new StreamHistory(faqStreamName(entryId), faqEntryDecider);
      const promoted = faq.run(
        {
          type: 'PromoteTopicToFaq',
          data: {
            entryId,
            rights: people.rights(actor),
            topic: {
              topicId: state.topicId,
              spaceId: state.spaceId,
              title: topic.title,
              authorId: state.authorId,
              solution: { postId: solution.postId, body: solution.body },
            },
            category: this.random() < 0.5 ? this.pick(FAQ_CATEGORIES) : undefined,
          },
        },
        this.meta(actor),
      );
      if (promoted.length === 0) continue;
      topic.stream.ordered = true;
      if (this.random() < 0.7) {
        const manager = people.manager();
        faq.run({ type: 'PublishFaqEntry', data: { rights: people.rights(manager) } }, this.meta(manager));
      }
      faqs.push(faq);
    }
    for (const stream of [...topics.map((t) => t.stream), ...faqs, ...documents]) {
      if (stream.events.length > 0) yield stream.toAppend();
    }
  }

  /** The PIX deployment of the RRUPNs' establishments, recorded by them (now and then by the dane). */
  *milestones(dane: Actor): Generator<SyntheticAppend> {
    for (const rrupn of this.users.filter((user) => user.roles.includes('rrupn') && user.uai)) {
      if (this.random() < 0.3) continue;
      const uai = rrupn.uai!;
      const stream = new StreamHistory<EstablishmentCommand, EstablishmentEvent, EstablishmentState>(
        establishmentStreamName(uai),
        establishmentDecider,
      );
      // In the table's order, as a deployment goes; a milestone recorded twice changes nothing.
      for (const milestone of RECORDED_MILESTONES.filter(() => this.random() < 0.6)) {
        const issued = this.meta(this.random() < 0.8 ? rrupn : dane);
        const daysAgo = 1 + Math.floor(this.random() * 200);
        const date = this.random() < 0.5 ? new Date(issued.metadata.now.getTime() - daysAgo * 86_400_000).toISOString().slice(0, 10) : undefined;
        stream.run({ type: 'RecordMilestone', data: { uai, milestone, date } }, issued);
        if (this.random() < 0.1) stream.run({ type: 'RecordMilestone', data: { uai, milestone } }, this.meta(rrupn));
      }
      if (stream.events.length > 0) yield stream.toAppend();
    }
  }

  private topicLife(space: Space, people: SpacePeople, topics: Array<{ stream: TopicStream; title: string; posts: PostNote[] }>): Life {
    const topicId = this.id('topic');
    const stream: TopicStream = new StreamHistory(topicStreamName(topicId), topicDecider);
    const posts: PostNote[] = [];
    const title = `${this.pick(TOPIC_TITLES)}${this.random() < 0.5 ? '' : ` (${space.name})`}`;
    topics.push({ stream, title, posts });
    const run = (actor: Actor, command: (rights: SpaceRights) => Unsent<TopicCommand>): void => {
      const decided = stream.run(command(people.rights(actor)), this.meta(actor));
      for (const event of decided) {
        if (event.type === 'TopicOpened' || event.type === 'ReplyPosted') {
          posts.push({ postId: event.data.postId, authorId: event.data.by, body: event.data.body });
        }
        else if (event.type === 'PostEdited') posts.find((p) => p.postId === event.data.postId)!.body = event.data.body;
        else if (event.type === 'PostDeleted') posts.find((p) => p.postId === event.data.postId)!.body = null;
      }
    };
    const livePosts = (): PostNote[] => posts.filter((post) => post.body !== null);
    const authorOr = (authorId: string): Actor =>
      this.random() < 0.8 ? people.members.find((m) => m.userId === authorId) ?? people.manager() : people.manager();
    const life: Life = {
      budget: 1 + this.budget(15, 150),
      step: () => {
        const state = stream.state;
        if (state.status !== 'open') {
          const author = people.writer();
          const tags = Array.from({ length: Math.floor(this.random() * 4) }, () => this.pick(TAGS));
          run(author, (rights) => ({
            type: 'OpenTopic',
            data: { topicId, spaceId: space.spaceId, postId: this.id('post'), title, body: this.postBody(people), tags, rights },
          }));
          return;
        }
        const roll = this.random();
        if (roll < 0.4) {
          // A reply; one in four quotes an earlier post.
          const quoted = this.random() < 0.25 ? this.pick(livePosts()) : undefined;
          const body = quoted ? `> ${quoted.body!.split('\n')[0]}\n\n${this.postBody(people)}` : this.postBody(people);
          run(people.writer(), (rights) => ({ type: 'PostReply', data: { postId: this.id('post'), body, replyTo: quoted?.postId, rights } }));
        } else if (roll < 0.62) {
          run(people.reader(), (rights) => ({ type: 'ReadTopic', data: { rights } }));
        } else if (roll < 0.74) {
          const post = this.pick(posts);
          run(people.writer(), (rights) => ({ type: 'AddReaction', data: { postId: post.postId, emoji: this.pick(REACTION_EMOJIS), rights } }));
        } else if (roll < 0.77) {
          // Someone takes back a reaction they gave.
          const reacted = [...state.posts.entries()].flatMap(([postId, facts]) =>
            [...facts.reactions.entries()].flatMap(([emoji, userIds]) => [...userIds].map((userId) => ({ postId, emoji, userId }))),
          );
          if (reacted.length === 0) return;
          const { postId, emoji, userId } = this.pick(reacted);
          const actor = this.users.find((u) => u.userId === userId)!;
          run(actor, (rights) => ({ type: 'RemoveReaction', data: { postId, emoji, rights } }));
        } else if (roll < 0.85) {
          const post = this.pick(posts);
          // Some edits add an @mention the first version did not have.
          const addition = this.random() < 0.2 ? `${this.mention(people)} ${this.pick(SENTENCES)}` : this.pick(SENTENCES);
          const body = `${post.body ?? this.postBody()}\n\n_Édit : ${addition}_`;
          run(authorOr(post.authorId), (rights) => ({ type: 'EditPost', data: { postId: post.postId, body, rights } }));
        } else if (roll < 0.88) {
          const post = this.pick(posts);
          run(authorOr(post.authorId), (rights) => ({ type: 'DeletePost', data: { postId: post.postId, rights } }));
        } else if (roll < 0.92) {
          // Mostly a first solution; now and then a better answer replaces it.
          const replies = livePosts().filter((post) => post.postId !== state.openingPostId);
          if (replies.length === 0 || (state.solutionPostId && this.random() < 0.7)) return;
          const post = this.pick(replies);
          run(authorOr(state.authorId), (rights) => ({ type: 'ChooseSolution', data: { postId: post.postId, rights } }));
        } else if (roll < 0.94) {
          const type = this.random() < 0.7 ? (state.pinned ? 'UnpinTopic' : 'PinTopic') : state.locked ? 'UnlockTopic' : 'LockTopic';
          run(people.manager(), (rights) => ({ type, data: { rights } }));
        } else {
          // A stranger or a reader tries to write: refused, nothing is written.
          run(this.pick(this.users), (rights) => ({ type: 'PostReply', data: { postId: this.id('post'), body: this.postBody(), rights } }));
        }
      },
    };
    return life;
  }

  private faqLife(space: Space, people: SpacePeople, faqs: FaqStream[]): Life {
    const entryId = this.id('faq');
    const stream: FaqStream = new StreamHistory(faqStreamName(entryId), faqEntryDecider);
    faqs.push(stream);
    const run = (actor: Actor, command: (rights: SpaceRights) => Unsent<FaqCommand>): void => {
      stream.run(command(people.rights(actor)), this.meta(actor));
    };
    return {
      budget: 1 + this.budget(3, 20),
      step: () => {
        const state = stream.state;
        if (state.status === 'none') {
          const category = this.random() < 0.7 ? this.pick(FAQ_CATEGORIES) : undefined;
          run(people.writer(), (rights) => ({
            type: 'DraftFaqEntry',
            data: { entryId, spaceId: space.spaceId, rights, question: this.pick(FAQ_QUESTIONS), answer: this.postBody(), category },
          }));
          return;
        }
        const roll = this.random();
        const editor = state.status === 'draft' && this.random() < 0.6 ? people.members.find((m) => m.userId === state.authorId) : undefined;
        if (roll < 0.4) {
          const change = this.random();
          run(editor ?? people.manager(), (rights) =>
            change < 0.5
              ? { type: 'EditFaqEntry', data: { rights, answer: `${state.answer}\n\n${this.paragraph()}` } }
              : change < 0.8
                ? { type: 'EditFaqEntry', data: { rights, question: this.pick(FAQ_QUESTIONS), category: this.pick(FAQ_CATEGORIES) } }
                : { type: 'EditFaqEntry', data: { rights, order: Math.floor(this.random() * 21) - 10 } },
          );
        } else if (roll < 0.8) {
          run(people.manager(), (rights) => ({ type: 'PublishFaqEntry', data: { rights } }));
        } else {
          run(people.manager(), (rights) => ({ type: 'UnpublishFaqEntry', data: { rights } }));
        }
      },
    };
  }

  private documentLife(space: Space, people: SpacePeople, documents: DocumentStream[], index: number): Life {
    const documentId = this.id('document');
    const stream: DocumentStream = new StreamHistory(documentStreamName(documentId), documentDecider);
    documents.push(stream);
    // The handler of a restore finds old bodies in the read model; here, the generator keeps them.
    const bodies: string[] = [];
    const run = (actor: Actor, command: (rights: SpaceRights) => Unsent<DocumentCommand>): void => {
      for (const event of stream.run(command(people.rights(actor)), this.meta(actor))) {
        if (event.type === 'DocumentCreated' || event.type === 'DocumentRevised') bodies[event.data.revision - 1] = event.data.body;
      }
    };
    return {
      budget: 1 + this.budget(8, 60),
      step: () => {
        const state = stream.state;
        if (state.status !== 'active') {
          run(people.writer(), (rights) => ({
            type: 'CreateDocument',
            data: {
              documentId,
              spaceId: space.spaceId,
              title: `${this.pick(DOCUMENT_TITLES)} (${index})`,
              body: this.documentBody(),
              competences: this.competences(),
              rights,
            },
          }));
          return;
        }
        const roll = this.random();
        if (roll < 0.42) {
          // One write in ten starts from a revision someone else already replaced: a 409, nothing written.
          const baseRevision = this.random() < 0.1 && state.revision > 1 ? state.revision - 1 : state.revision;
          const summary = this.random() < 0.5 ? this.pick(['Relecture', 'Ajout d’un exemple', 'Mise à jour rentrée', 'Corrections']) : undefined;
          run(people.writer(), (rights) => ({
            type: 'WriteDocumentContent',
            data: { documentId, body: this.reviseBody(state.currentBody), baseRevision, summary, rights },
          }));
        } else if (roll < 0.75) {
          run(people.reader(), (rights) => ({ type: 'ReadDocument', data: { documentId, rights } }));
        } else if (roll < 0.85) {
          if (state.revision < 2) return;
          const revision = 1 + Math.floor(this.random() * (state.revision - 1));
          run(people.writer(), (rights) => ({
            type: 'RestoreDocumentRevision',
            data: { documentId, revision, body: bodies[revision - 1], summary: `Retour à la révision ${revision}`, rights },
          }));
        } else {
          const retitle = this.random() < 0.5;
          run(people.writer(), (rights) => ({
            type: 'UpdateDocument',
            data: retitle
              ? { documentId, title: `${this.pick(DOCUMENT_TITLES)} (${index}, v${state.revision})`, rights }
              : { documentId, competences: this.competences(), rights },
          }));
        }
      },
    };
  }
}
