import type { INestApplicationContext } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { DomainError, type Actor } from '#ruche/domain-kit';
import { SignInCommand } from '#ruche/identity/nest';
import { parisDay, schoolYearStart } from '#ruche/indicators';
import type { EventStore } from '#ruche/eventstore';
import { EVENT_STORE, PROJECTION_RUNNER, subCommandId, type RequestMeta } from '#ruche/platform';
import type { ProjectionRunner } from '#ruche/projections';
import { CreateSpaceCommand, InviteMemberCommand, JoinSpaceCommand } from '#ruche/spaces/nest';
import { demoContentSteps } from './demo-content.js';
import { demoEstablishmentSteps, demoEstablishmentTopicSteps } from './demo-establishments.js';
import { seedSyntheticYear, type DemoYearOptions, type DemoYearResult } from './synthetic-year.js';

/** The demo académie's people: sign in as any of them with POST /api/auth/dev-login. */
export const DEMO_PERSONAS = [
  { key: 'dane', email: 'dane@ac-demo.fr', displayName: 'Dominique Durand (DANE)', roles: ['dane'] },
  { key: 'cmine', email: 'cmine.nice@ac-demo.fr', displayName: 'Claire Martin (CMINE)', roles: ['cmine'] },
  { key: 'rrupnMoulin', email: 'rrupn.0061234X@ac-demo.fr', displayName: 'Rémi Roux (RRUPN)', roles: ['rrupn', 'enseignant'], uai: '0061234X' },
  { key: 'chefMoulin', email: 'chef.0061234X@ac-demo.fr', displayName: 'Sophie Bernard (principale)', roles: ['chef_etablissement'], uai: '0061234X' },
  { key: 'rrupnCurie', email: 'rrupn.0830042K@ac-demo.fr', displayName: 'Inès Garcia (RRUPN)', roles: ['rrupn', 'enseignant'], uai: '0830042K' },
  { key: 'referentPix', email: 'referent.pix@ac-demo.fr', displayName: 'Paul Petit (référent PIX)', roles: ['referent_pix', 'enseignant'], uai: '0061234X' },
  { key: 'prof', email: 'prof.sciences@ac-demo.fr', displayName: 'Léa Moreau (professeure)', roles: ['enseignant'], uai: '0830042K' },
] as const;

export type DemoPersonaKey = (typeof DEMO_PERSONAS)[number]['key'];
type PersonaKey = DemoPersonaKey;

/** Fixed ids: running the seed again finds everything in place and writes nothing. */
export const DEMO_SPACES = {
  tribuPix: '01936000-0000-7000-8000-000000000001',
  moulin: '01936000-0000-7000-8000-000000000002',
  curie: '01936000-0000-7000-8000-000000000003',
  ia: '01936000-0000-7000-8000-000000000004',
  referents: '01936000-0000-7000-8000-000000000005',
} as const;

/**
 * Writes the demo's school year (seedSyntheticYear) into the app's store with its live projections
 * paused, which then catch up on the whole year in batches. Fed live, each of the year's thousands
 * of small appends woke every projection for a transaction of its own: the first start's seed
 * took 11.2–14.7 s on SQLite here, against 5.2–7.9 s paused (catch-up included).
 */
export async function seedDemoYear(app: INestApplicationContext, options: DemoYearOptions): Promise<DemoYearResult> {
  const runner = app.get<ProjectionRunner>(PROJECTION_RUNNER);
  return runner.pausedWhile(() => seedSyntheticYear(app.get<EventStore>(EVENT_STORE), options));
}

export interface SeedProgress {
  (done: number, total: number, label: string): void;
}

/**
 * Writes the demo académie (people, spaces, members, then their topics, FAQ and fiches PIX:
 * seeds/demo-content.ts) through the same commands the API uses, so the seed obeys every rule
 * and produces the same events a user would. Every step has a fixed command id: running the seed
 * again writes nothing.
 */
export async function seedDemoAcademy(app: INestApplicationContext, progress: SeedProgress = () => undefined): Promise<DemoAcademy> {
  const commands = app.get(CommandBus);
  const steps: Array<[string, () => Promise<unknown>]> = [];
  const people = new Map<string, Actor>();

  const person = (key: string, input: { email: string; displayName: string; roles: string[]; uai?: string }) =>
    steps.push([
      `personne ${input.displayName}`,
      async () => {
        const { user } = await commands.execute(new SignInCommand(input, seedMeta(`persona ${key}`)));
        people.set(key, { userId: user.userId, roles: [...input.roles], uai: input.uai });
      },
    ]);
  for (const persona of DEMO_PERSONAS) {
    person(persona.key, { email: persona.email, displayName: persona.displayName, roles: [...persona.roles], uai: 'uai' in persona ? persona.uai : undefined });
  }
  const who = (key: string): Actor => people.get(key)!;
  const space = (id: string, by: PersonaKey, input: CreateSpaceCommand['input']) =>
    steps.push([
      `espace ${input.name}`,
      () => ignoreExisting(commands.execute(new CreateSpaceCommand(input, who(by), seedMeta(`space ${id}`), id))),
    ]);
  const member = (spaceId: string, by: PersonaKey, email: string, role: string) =>
    steps.push([
      `membre ${email}`,
      () => ignoreExisting(commands.execute(new InviteMemberCommand(spaceId, email, role, who(by), seedMeta(`member ${spaceId} ${email}`)))),
    ]);
  const join = (spaceId: string, by: PersonaKey) =>
    steps.push([`adhésion`, () => commands.execute(new JoinSpaceCommand(spaceId, who(by), seedMeta(`join ${spaceId} ${by}`)))]);

  space(DEMO_SPACES.tribuPix, 'dane', {
    name: 'TRIBU PIX académique',
    kind: 'academic',
    visibility: 'public',
    description: "L'espace de tous les acteurs du déploiement de PIX dans l'académie : actualités, ressources, entraide.",
  });
  space(DEMO_SPACES.moulin, 'rrupnMoulin', {
    name: 'Collège Jean Moulin — Nice',
    kind: 'establishment',
    visibility: 'restricted',
    uai: '0061234X',
    parentSpaceId: DEMO_SPACES.tribuPix,
    description: "L'espace numérique de l'équipe du collège : PIX, ENT, équipements.",
  });
  space(DEMO_SPACES.curie, 'rrupnCurie', {
    name: 'Lycée Marie Curie — Toulon',
    kind: 'establishment',
    visibility: 'private',
    uai: '0830042K',
    parentSpaceId: DEMO_SPACES.tribuPix,
  });
  space(DEMO_SPACES.ia, 'cmine', {
    name: "Usages de l'IA en classe",
    kind: 'thematic',
    visibility: 'public',
    description: 'Partage de pratiques et de points de vigilance.',
  });
  space(DEMO_SPACES.referents, 'dane', { name: 'Référents PIX du 06', kind: 'thematic', visibility: 'restricted' });
  member(DEMO_SPACES.moulin, 'rrupnMoulin', 'referent.pix@ac-demo.fr', 'contributor');
  member(DEMO_SPACES.moulin, 'rrupnMoulin', 'chef.0061234X@ac-demo.fr', 'manager');
  member(DEMO_SPACES.curie, 'rrupnCurie', 'prof.sciences@ac-demo.fr', 'contributor');
  member(DEMO_SPACES.referents, 'dane', 'referent.pix@ac-demo.fr', 'contributor');
  join(DEMO_SPACES.tribuPix, 'rrupnMoulin');
  join(DEMO_SPACES.tribuPix, 'rrupnCurie');
  join(DEMO_SPACES.tribuPix, 'referentPix');
  join(DEMO_SPACES.ia, 'prof');
  join(DEMO_SPACES.referents, 'rrupnCurie');
  const establishments = { commands, tribuPixId: DEMO_SPACES.tribuPix, person, who, meta: seedMeta, step: (label: string, run: () => Promise<unknown>) => steps.push([label, run]), ignoreExisting };
  demoEstablishmentSteps(establishments);
  // The people, spaces and milestones are there from the start of the school year.
  const structureSteps = steps.length;

  // Topics, FAQ and fiches PIX, once the spaces and their members are in place.
  demoContentSteps({
    commands,
    spaces: DEMO_SPACES,
    who,
    meta: seedMeta,
    step: (label, run) => steps.push([label, run]),
  });
  demoEstablishmentTopicSteps(establishments);

  // The demo tells a story, not one instant: the structure lands in the first days of the school
  // year (or 60 days ago, if earlier), then the content over the last weeks, step by step.
  const end = Date.now();
  const yearStart = Date.parse(`${schoolYearStart(parisDay(new Date(end)))}T06:00:00Z`);
  const structureStart = Math.min(yearStart, end - DEMO_HISTORY_DAYS * DAY_MS);
  const structureEnd = structureStart + 2 * DAY_MS;
  const contentStart = Math.max(structureEnd, end - DEMO_HISTORY_DAYS * DAY_MS);
  for (const [index, [label, run]] of steps.entries()) {
    seedClock.current =
      index < structureSteps
        ? new Date(structureStart + Math.round(((structureEnd - structureStart) * index) / structureSteps))
        : new Date(contentStart + Math.round(((end - contentStart) * (index - structureSteps)) / (steps.length - structureSteps)));
    await run();
    progress(index + 1, steps.length, label);
  }
  seedClock.current = undefined;
  return { people, startedAt: new Date(structureStart) };
}

/** What the seed leaves for what follows it (seeds/synthetic-year.ts): its people, by key. */
export interface DemoAcademy {
  /** DEMO_PERSONAS by key, the establishments' people by rrupnKey(uai) and referentKey(uai). */
  people: Map<string, Actor>;
  /** When the structure (people, spaces, milestones) landed. */
  startedAt: Date;
}

const DAY_MS = 24 * 3600 * 1000;

/** How far back the demo's history starts. */
export const DEMO_HISTORY_DAYS = 60;

/** The time of the step being seeded (read when a command runs, so closures built earlier see it). */
const seedClock: { current: Date | undefined } = { current: undefined };

/** Fixed command ids: a step that landed before is answered from its events and writes nothing. */
const SEED_ROOT = '01936000-0000-7000-8000-00000000seed'.replace('seed', '5eed');
export function seedMeta(step: string): RequestMeta {
  return {
    commandId: subCommandId(SEED_ROOT, step),
    correlationId: 'seed-demo-academy',
    get now() {
      return seedClock.current;
    },
  };
}

/** Re-running the seed meets its own earlier writes: an existing space or member is fine. */
async function ignoreExisting(work: Promise<unknown>): Promise<void> {
  try {
    await work;
  } catch (error) {
    if (error instanceof DomainError && error.code === 'CONFLICT') return;
    throw error;
  }
}
