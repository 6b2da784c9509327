import type { CommandBus } from '@nestjs/cqrs';
import type { Actor } from '#ruche/domain-kit';
import { OpenTopicCommand, PostReplyCommand } from '#ruche/forums/nest';
import type { RecordedMilestone } from '#ruche/indicators';
import { RecordMilestoneCommand } from '#ruche/indicators/nest';
import { subCommandId, type RequestMeta } from '#ruche/platform';
import { CreateSpaceCommand, InviteMemberCommand, JoinSpaceCommand } from '#ruche/spaces/nest';

/*
 * The demo académie's establishments: made-up collèges and lycées of the Alpes-Maritimes (06)
 * and the Var (83), each with an RRUPN, a référent PIX and its establishment space. Some are
 * lively (a topic and replies in the last weeks), some dormant (nothing after their first days),
 * and their PIX milestones stand at every stage. The collège Jean Moulin and the lycée Marie
 * Curie of the demo personas are two of them (their spaces come from seeds/demo-academy.ts).
 */

/** In the order an establishment usually reaches them (space_opened is derived from its space). */
export const DEMO_MILESTONE_ORDER: readonly RecordedMilestone[] = [
  'referent_designated',
  'referent_trained_pix_orga',
  'pix_orga_activated',
  'digital_committee_set_up',
  'referent_trained_pix_certif',
  'pix_certif_activated',
];

export interface DemoEstablishment {
  uai: string;
  name: string;
  spaceId: string;
  visibility: 'public' | 'restricted' | 'private';
  /** Lively spaces get recent topics; dormant ones nothing for the last 30+ days. */
  lively: boolean;
  /** How many of DEMO_MILESTONE_ORDER it reached. */
  stage: number;
  rrupn: { email: string; displayName: string };
  referent: { email: string; displayName: string };
}

/** The UAI's control letter: the 7 digits modulo 23, in an alphabet without I, O and Q. */
export function uaiOf(digits: string): string {
  return `${digits}${'ABCDEFGHJKLMNPRSTUVWXYZ'[Number(digits) % 23]}`;
}

const NEW_ESTABLISHMENTS: Array<[department: '006' | '083', number: string, name: string, rrupn: string, referent: string]> = [
  ['006', '0901', 'Collège des Mimosas — Antibes', 'Hugo Lambert', 'Nadia Perrin'],
  ['006', '0902', 'Lycée des Lauriers-Roses — Cannes', 'Julie Faure', 'Marc Rolland'],
  ['006', '0903', 'Collège du Mont Chauve — Nice', 'Karim Benali', 'Élise Caron'],
  ['006', '0904', 'Collège Les Orangers — Menton', 'Sarah Lemoine', 'Thomas Girard'],
  ['006', '0905', 'Lycée de la Roya — Breil-sur-Roya', 'Yann Morel', 'Chloé Dupuy'],
  ['006', '0906', 'Collège des Pins d’Alep — Grasse', 'Manon Blanc', 'Lucas Fabre'],
  ['006', '0907', 'Lycée du Paillon — Nice', 'Antoine Rey', 'Camille Noël'],
  ['006', '0908', 'Collège La Siagne — Mandelieu', 'Laura Meunier', 'Nicolas Barbier'],
  ['006', '0909', 'Collège Le Cheiron — Vence', 'Pierre Henry', 'Anaïs Roche'],
  ['006', '0910', 'Lycée des Oliviers — Cagnes-sur-Mer', 'Émilie Gauthier', 'Julien Brun'],
  ['006', '0911', 'Collège de la Vésubie — Saint-Martin-Vésubie', 'Mathieu Dumont', 'Océane Leroy'],
  ['083', '0901', 'Collège des Salins — Hyères', 'Céline Marchand', 'Bastien Robin'],
  ['083', '0902', 'Lycée du Faron — Toulon', 'Sébastien Vidal', 'Pauline Collet'],
  ['083', '0903', 'Collège de l’Estérel — Fréjus', 'Aurélie Renaud', 'Kevin Masson'],
  ['083', '0904', 'Collège Les Maures — Le Luc', 'David Aubert', 'Margaux Picard'],
  ['083', '0905', 'Lycée de la Sainte-Baume — Saint-Maximin', 'Florence Lucas', 'Romain Guérin'],
  ['083', '0906', 'Collège du Cap Sicié — La Seyne-sur-Mer', 'Vincent Mercier', 'Justine Arnaud'],
  ['083', '0907', 'Collège de l’Argens — Draguignan', 'Isabelle Chevalier', 'Maxime Lefèvre'],
  ['083', '0908', 'Lycée des Embiez — Six-Fours-les-Plages', 'Olivier Giraud', 'Lucie Bertin'],
  ['083', '0909', 'Collège du Verdon — Aups', 'Nathalie Colin', 'Adrien Moulin'],
  ['083', '0910', 'Collège Les Calanques — Bandol', 'Stéphane Joly', 'Mélanie Huet'],
  ['083', '0911', 'Lycée du Gapeau — Solliès-Pont', 'Caroline Boyer', 'Guillaume Riviere'],
];

const slug = (name: string) =>
  name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z]+/g, '.');

/** 22 made-up establishments; with the collège Jean Moulin and the lycée Marie Curie, 24. */
export const DEMO_ESTABLISHMENTS: readonly DemoEstablishment[] = NEW_ESTABLISHMENTS.map(([department, number, name, rrupn, referent], i) => {
  const uai = uaiOf(`${department}${number}`);
  return {
    uai,
    name,
    spaceId: `01936000-0000-7000-8000-00000000${String(1001 + i).padStart(4, '0')}`,
    visibility: (['restricted', 'public', 'restricted', 'private'] as const)[i % 4]!,
    // One in three sleeps: created at the start of the year, then nothing.
    lively: i % 3 !== 2,
    stage: [6, 3, 1, 5, 0, 2, 4, 6, 2, 3, 1, 5, 4, 0, 3, 6, 2, 1, 5, 3, 4, 2][i]!,
    rrupn: { email: `rrupn.${uai}@ac-demo.fr`, displayName: `${rrupn} (RRUPN, fictif)` },
    referent: { email: `referent.${slug(referent)}@ac-demo.fr`.replace('..', '.'), displayName: `${referent} (référent PIX, fictif)` },
  };
});

/** The demo personas' two establishments and the stage of their milestones. */
export const DEMO_PERSONA_ESTABLISHMENTS = [
  { uai: '0061234X', rrupn: 'rrupnMoulin', stage: 4 },
  { uai: '0830042K', rrupn: 'rrupnCurie', stage: 2 },
] as const;

/** Every demo UAI, the personas' included. */
export const DEMO_UAIS: readonly string[] = [...DEMO_PERSONA_ESTABLISHMENTS.map((e) => e.uai), ...DEMO_ESTABLISHMENTS.map((e) => e.uai)];

export const rrupnKey = (uai: string) => `rrupn ${uai}`;
export const referentKey = (uai: string) => `referent ${uai}`;

export interface EstablishmentStepsContext {
  commands: CommandBus;
  tribuPixId: string;
  /** Signs a person in (a step of its own) and remembers them under `key`. */
  person(key: string, input: { email: string; displayName: string; roles: string[]; uai?: string }): void;
  who(key: string): Actor;
  meta(step: string): RequestMeta;
  step(label: string, run: () => Promise<unknown>): void;
  ignoreExisting(work: Promise<unknown>): Promise<void>;
}

/** People, spaces, members and milestones: the start of the school year. */
export function demoEstablishmentSteps(context: EstablishmentStepsContext): void {
  const { commands, step, who, meta } = context;
  for (const establishment of DEMO_ESTABLISHMENTS) {
    const { uai } = establishment;
    context.person(rrupnKey(uai), { ...establishment.rrupn, roles: ['rrupn', 'enseignant'], uai });
    context.person(referentKey(uai), { ...establishment.referent, roles: ['referent_pix', 'enseignant'], uai });
    step(`espace ${establishment.name}`, () =>
      context.ignoreExisting(
        commands.execute(
          new CreateSpaceCommand(
            {
              name: establishment.name,
              kind: 'establishment',
              visibility: establishment.visibility,
              uai,
              parentSpaceId: context.tribuPixId,
              description: `L’espace de l’équipe de l’établissement (fictif) ${uai}.`,
            },
            who(rrupnKey(uai)),
            meta(`space ${establishment.spaceId}`),
            establishment.spaceId,
          ),
        ),
      ),
    );
    step(`membre ${establishment.referent.email}`, () =>
      context.ignoreExisting(
        commands.execute(
          new InviteMemberCommand(establishment.spaceId, establishment.referent.email, 'contributor', who(rrupnKey(uai)), meta(`member ${establishment.spaceId} referent`)),
        ),
      ),
    );
    step(`adhésion ${establishment.rrupn.email}`, () =>
      commands.execute(new JoinSpaceCommand(context.tribuPixId, who(rrupnKey(uai)), meta(`join tribu ${uai}`))),
    );
    milestones(context, uai, rrupnKey(uai), establishment.stage);
  }
  for (const { uai, rrupn, stage } of DEMO_PERSONA_ESTABLISHMENTS) milestones(context, uai, rrupn, stage);
}

function milestones(context: EstablishmentStepsContext, uai: string, by: string, stage: number): void {
  for (const milestone of DEMO_MILESTONE_ORDER.slice(0, stage)) {
    context.step(`jalon ${milestone} ${uai}`, () =>
      context.commands.execute(new RecordMilestoneCommand(uai, milestone, undefined, context.who(by), context.meta(`milestone ${uai} ${milestone}`))),
    );
  }
}

const LIVELY_TOPICS = [
  ['Campagne PIX de 6e : les codes sont prêts', 'Les codes de campagne sont dans la salle des professeurs. Qui a déjà lancé la sienne ?'],
  ['Chariot de tablettes : réservation', 'Le chariot est réservable dans l’ENT ; pensez à le recharger après usage.'],
  ['Formation PIX Orga de mercredi', 'Je partage mes notes de la formation académique de mercredi.'],
  ['Certification PIX des 3e : salles', 'Il nous faut deux salles informatiques pour les sessions de mars.'],
];

/** Recent topics in the lively establishments' spaces: after the académie's content. */
export function demoEstablishmentTopicSteps(context: EstablishmentStepsContext): void {
  const { commands, step, who, meta } = context;
  for (const [i, establishment] of DEMO_ESTABLISHMENTS.entries()) {
    if (!establishment.lively) continue;
    const { uai } = establishment;
    const [title, body] = LIVELY_TOPICS[i % LIVELY_TOPICS.length]!;
    const topicId = demoEstablishmentTopicId(uai);
    step(`sujet « ${title} » (${uai})`, () =>
      commands.execute(new OpenTopicCommand(establishment.spaceId, { title, body, tags: ['pix'] }, who(referentKey(uai)), meta(`topic ${topicId}`), topicId)),
    );
    step(`réponse (${uai})`, () =>
      commands.execute(
        new PostReplyCommand(topicId, { body: 'Merci, je m’en occupe cette semaine.' }, who(rrupnKey(uai)), meta(`reply ${topicId} 0`), subCommandId(topicId, 'reply 0')),
      ),
    );
  }
}

export function demoEstablishmentTopicId(uai: string): string {
  return subCommandId('01936000-0000-7000-8000-000000000100', `establishment topic ${uai}`);
}
