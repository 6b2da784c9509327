import type { CommandBus } from '@nestjs/cqrs';
import type { Actor } from '#ruche/domain-kit';
import { CreateDocumentCommand, ReadDocumentCommand, WriteDocumentContentCommand } from '#ruche/documents/nest';
import { DraftFaqEntryCommand, EditFaqEntryCommand, PromoteTopicToFaqCommand, PublishFaqEntryCommand, promotedEntryId } from '#ruche/faq/nest';
import {
  ChooseSolutionCommand,
  ModerateTopicCommand,
  OpenTopicCommand,
  PostReplyCommand,
  ReactToPostCommand,
  ReadTopicCommand,
} from '#ruche/forums/nest';
import { subCommandId, type RequestMeta } from '#ruche/platform';
import type { DemoPersonaKey, DEMO_SPACES } from './demo-academy.js';

/*
 * What the demo académie's people have written: topics with replies, quotes, reactions, a
 * solution and a pinned topic; an FAQ in three categories with one entry promoted from a
 * solved topic and a draft; fiches PIX for some of the 16 competences (the others are left
 * without any, so the indicators show gaps), one of them with three revisions. Everything goes
 * through the commands the API sends, with fixed ids and command ids, so a second run finds each
 * step landed and writes nothing. The people and texts are made up.
 */

type SpaceKey = keyof typeof DEMO_SPACES;

/** Fixed ids, for tests and for links in the demo. */
export const DEMO_TOPICS = {
  calendrier: '01936000-0000-7000-8000-000000000101',
  tuileEnt: '01936000-0000-7000-8000-000000000102',
  surveillance: '01936000-0000-7000-8000-000000000103',
  ressourcesTerminale: '01936000-0000-7000-8000-000000000104',
  campagne6e: '01936000-0000-7000-8000-000000000105',
  salle112: '01936000-0000-7000-8000-000000000106',
  comptesEnt: '01936000-0000-7000-8000-000000000107',
  reunionReferents: '01936000-0000-7000-8000-000000000108',
  charteIa: '01936000-0000-7000-8000-000000000109',
} as const;

export const DEMO_FAQ = {
  accesPixOrga: '01936000-0000-7000-8000-000000000201',
  elevesCertifies: '01936000-0000-7000-8000-000000000202',
  absentSession: '01936000-0000-7000-8000-000000000203',
  motDePasse: '01936000-0000-7000-8000-000000000204',
  /** Stays a draft: seen by its author and the managers only. */
  horsTempsScolaire: '01936000-0000-7000-8000-000000000205',
  /** Promoted from the solved topic `tuileEnt`. */
  tuileEnt: promotedEntryId(DEMO_TOPICS.tuileEnt),
} as const;

export const DEMO_DOCUMENTS = {
  recherche: '01936000-0000-7000-8000-000000000301',
  fichiersEnt: '01936000-0000-7000-8000-000000000302',
  ecritureCollaborative: '01936000-0000-7000-8000-000000000303',
  motsDePasse: '01936000-0000-7000-8000-000000000304',
  video6e: '01936000-0000-7000-8000-000000000305',
  python2de: '01936000-0000-7000-8000-000000000306',
} as const;

/** The id of reply `index` (from 0) of a demo topic. */
export function demoReplyId(topicId: string, index: number): string {
  return subCommandId(topicId, `reply ${index}`);
}

export interface DemoContentContext {
  commands: CommandBus;
  spaces: typeof DEMO_SPACES;
  who(key: DemoPersonaKey): Actor;
  /** Fixed command metadata for a step (seedMeta). */
  meta(step: string): RequestMeta;
  /** Adds a step, run in order with a progress line. */
  step(label: string, run: () => Promise<unknown>): void;
}

/** A post of a topic: its opening post, or one of its replies by index. */
type PostRef = 'opening' | number;

interface TopicSeed {
  key: keyof typeof DEMO_TOPICS;
  space: SpaceKey;
  by: DemoPersonaKey;
  title: string;
  body: string;
  tags: string[];
  replies?: Array<{ by: DemoPersonaKey; body: string; replyTo?: PostRef }>;
  reactions?: Array<{ post: PostRef; by: DemoPersonaKey; emoji: string }>;
  solution?: { reply: number; by: DemoPersonaKey };
  pinnedBy?: DemoPersonaKey;
  lockedBy?: DemoPersonaKey;
  readBy?: DemoPersonaKey[];
}

const TOPICS: TopicSeed[] = [
  {
    key: 'calendrier',
    space: 'tribuPix',
    by: 'dane',
    title: 'Calendrier des campagnes PIX Orga 2025-2026',
    tags: ['pix-orga', 'calendrier'],
    body: [
      'Bonjour à toutes et à tous,',
      '',
      'Voici le calendrier académique des campagnes **PIX Orga** pour cette année :',
      '',
      '- **du 29 septembre au 17 octobre** : campagne de positionnement en 6e et en 2de ;',
      '- **de janvier à mars** : campagnes de parcours en 5e, 4e et 1re ;',
      '- **avant les vacances de printemps** : vérification des profils des élèves de 3e et de terminale avant la certification.',
      '',
      'Pensez à désigner votre **référent PIX** dans l’enquête de rentrée si ce n’est pas déjà fait. Vos questions sur ce calendrier sont à poser ici.',
    ].join('\n'),
    replies: [
      {
        by: 'referentPix',
        body: 'Merci ! Pour la campagne de positionnement, peut-on utiliser un seul code de campagne pour toutes les classes de 6e, ou faut-il un code par classe ?',
      },
      {
        by: 'dane',
        replyTo: 0,
        body: [
          'Un code par niveau suffit : PIX Orga permet ensuite de filtrer les résultats par classe, à condition que l’import SIECLE soit à jour.',
          '',
          'Un code par classe reste possible si les professeurs principaux préfèrent suivre leur classe séparément.',
        ].join('\n'),
      },
      {
        by: 'rrupnCurie',
        body: 'Au lycée, nous lançons la campagne de 2de la semaine du 6 octobre, après les tests de positionnement de français et de mathématiques. Est-ce compatible avec le calendrier ?',
      },
      {
        by: 'dane',
        replyTo: 2,
        body: 'Oui : les dates sont indicatives. L’important est que la campagne soit **clôturée avant les vacances de la Toussaint**, pour que les résultats remontent dans les indicateurs académiques.',
      },
    ],
    reactions: [
      { post: 'opening', by: 'referentPix', emoji: '👍' },
      { post: 'opening', by: 'rrupnMoulin', emoji: '👍' },
      { post: 'opening', by: 'rrupnCurie', emoji: '👍' },
      { post: 'opening', by: 'rrupnMoulin', emoji: '🎉' },
      { post: 1, by: 'referentPix', emoji: '👍' },
    ],
    pinnedBy: 'dane',
    readBy: ['referentPix', 'rrupnMoulin', 'rrupnCurie'],
  },
  {
    key: 'tuileEnt',
    space: 'tribuPix',
    by: 'referentPix',
    title: 'La tuile PIX n’apparaît pas dans le médiacentre de l’ENT',
    tags: ['pix-orga', 'ent', 'gar'],
    body: [
      'Bonjour,',
      '',
      'Nous voulons lancer notre première campagne, mais la tuile **PIX** n’apparaît pas dans le médiacentre de l’ENT pour les professeurs de mathématiques, alors qu’elle est visible pour moi.',
      '',
      'Quelqu’un a-t-il déjà rencontré ce problème ?',
    ].join('\n'),
    replies: [
      {
        by: 'rrupnCurie',
        body: 'Même chose chez nous l’an dernier : c’était une question d’affectation de la ressource dans la console du GAR.',
      },
      {
        by: 'dane',
        replyTo: 0,
        body: [
          'C’est bien cela. La ressource PIX doit être **affectée** aux enseignants dans la console d’affectation du GAR :',
          '',
          '1. connectez-vous à l’ENT avec le profil de responsable d’affectation (souvent le chef d’établissement ou son adjoint) ;',
          '2. ouvrez la console GAR, onglet *Affectations* ;',
          '3. choisissez la ressource PIX, puis les enseignants ou les groupes concernés ;',
          '4. validez : la tuile apparaît dans le médiacentre dans les 24 heures.',
          '',
          'Si la ressource n’apparaît pas du tout dans la console, l’abonnement de l’établissement n’est pas actif : écrivez à la DANE.',
        ].join('\n'),
      },
      {
        by: 'referentPix',
        replyTo: 1,
        body: 'Merci, c’était exactement ça : la principale a fait l’affectation hier soir et tout fonctionne depuis ce matin.',
      },
    ],
    reactions: [
      { post: 1, by: 'referentPix', emoji: '❤️' },
      { post: 1, by: 'rrupnMoulin', emoji: '👍' },
      { post: 1, by: 'rrupnCurie', emoji: '👍' },
    ],
    solution: { reply: 1, by: 'referentPix' },
    readBy: ['rrupnMoulin'],
  },
  {
    key: 'surveillance',
    space: 'tribuPix',
    by: 'rrupnMoulin',
    title: 'Session PIX Certif : qui peut surveiller ?',
    tags: ['pix-certif', 'certification'],
    body: 'Nous organisons notre première session de certification en mars pour les élèves de 3e. Faut-il des surveillants formés spécialement ? Les assistants d’éducation peuvent-ils surveiller seuls ?',
    replies: [
      {
        by: 'dane',
        body: 'Tout personnel de l’établissement peut surveiller, assistants d’éducation compris, à condition d’avoir lu le **guide du surveillant** de PIX Certif et d’être déclaré comme surveillant de la session. Le chef d’établissement en reste responsable.',
      },
      {
        by: 'referentPix',
        replyTo: 0,
        body: 'Une astuce : faites une session « à blanc » avec deux ou trois élèves une semaine avant, pour vérifier le réseau et les navigateurs des postes.',
      },
    ],
    reactions: [
      { post: 'opening', by: 'rrupnCurie', emoji: '👀' },
      { post: 1, by: 'rrupnMoulin', emoji: '👍' },
      { post: 1, by: 'dane', emoji: '🎉' },
    ],
    readBy: ['rrupnCurie'],
  },
  {
    key: 'ressourcesTerminale',
    space: 'tribuPix',
    by: 'rrupnCurie',
    title: 'Des activités courtes pour préparer les terminales à la certification ?',
    tags: ['pix-certif', 'ressources'],
    body: 'Les collègues de SNT et de sciences cherchent des activités de 20 minutes pour entraîner les élèves sur les compétences les moins réussies l’an dernier (traitement de données, sécurité). Avez-vous des idées ou des fiches à partager ?',
  },
  {
    key: 'campagne6e',
    space: 'moulin',
    by: 'referentPix',
    title: 'Organisation de la campagne de rentrée en 6e',
    tags: ['pix-orga', '6e'],
    body: [
      'Proposition d’organisation pour la campagne de positionnement des 6e :',
      '',
      '- une heure en salle informatique par classe, sur les heures de technologie ;',
      '- un code de campagne unique pour le niveau ;',
      '- les professeurs principaux récupèrent les résultats à la fin de la campagne.',
      '',
      'Les créneaux vous conviennent-ils ?',
    ].join('\n'),
    replies: [
      { by: 'chefMoulin', body: 'Validé pour moi. Je demande à la vie scolaire de réserver la salle 112 les mardis et jeudis matin jusqu’au 17 octobre.' },
      {
        by: 'rrupnMoulin',
        replyTo: 0,
        body: 'Attention, quatre postes de la 112 sont hors service : je les remplace d’ici la fin de la semaine. Sinon, prévoyez des demi-groupes.',
      },
      { by: 'referentPix', replyTo: 1, body: 'Merci, je prévois des demi-groupes pour les deux premières classes.' },
    ],
    reactions: [
      { post: 0, by: 'referentPix', emoji: '👍' },
      { post: 0, by: 'rrupnMoulin', emoji: '👍' },
      { post: 1, by: 'chefMoulin', emoji: '🤔' },
    ],
    solution: { reply: 0, by: 'referentPix' },
    readBy: ['chefMoulin'],
  },
  {
    key: 'salle112',
    space: 'moulin',
    by: 'rrupnMoulin',
    title: 'Salle 112 : quatre postes hors service',
    tags: ['equipement'],
    body: 'Quatre postes de la salle 112 ne démarrent plus (alimentations). Je les signale au département pour le remplacement ; en attendant, la salle accueille 14 élèves au maximum.',
    replies: [
      { by: 'chefMoulin', body: 'Le bon de commande des alimentations est signé, livraison prévue jeudi.' },
      { by: 'rrupnMoulin', replyTo: 0, body: 'Postes réparés, la salle est de nouveau complète. Je clos le sujet.' },
    ],
    reactions: [{ post: 1, by: 'referentPix', emoji: '🎉' }],
    lockedBy: 'rrupnMoulin',
  },
  {
    key: 'comptesEnt',
    space: 'curie',
    by: 'prof',
    title: 'Comptes ENT des élèves de 2de pas encore créés',
    tags: ['ent', 'comptes'],
    body: 'Une partie de mes élèves de 2de n’a toujours pas de compte ENT, donc pas d’accès à PIX par le médiacentre. Qui faut-il prévenir ?',
    replies: [
      {
        by: 'rrupnCurie',
        body: [
          'Les comptes sont créés à partir de l’import SIECLE du secrétariat : les élèves arrivés après le 15 septembre ne sont pas encore importés. Je relance l’import cette semaine.',
          '',
          'En attendant, ils peuvent se connecter à PIX avec un compte personnel et rejoindre la campagne avec son code.',
        ].join('\n'),
      },
      { by: 'prof', replyTo: 0, body: 'Merci, je leur donne le code de campagne demain.' },
    ],
    reactions: [{ post: 0, by: 'prof', emoji: '👍' }],
    solution: { reply: 0, by: 'prof' },
  },
  {
    key: 'reunionReferents',
    space: 'referents',
    by: 'dane',
    title: 'Réunion des référents PIX du 06 : ordre du jour',
    tags: ['reunion'],
    body: [
      'La réunion départementale aura lieu en visioconférence. Ordre du jour proposé :',
      '',
      '1. bilan des campagnes de positionnement ;',
      '2. organisation des sessions PIX Certif ;',
      '3. questions diverses.',
      '',
      'Complétez la liste si besoin.',
    ].join('\n'),
    replies: [{ by: 'referentPix', body: 'Pourrait-on ajouter un point sur l’accompagnement des élèves à besoins particuliers pendant la certification ?' }],
    reactions: [{ post: 0, by: 'dane', emoji: '👍' }],
  },
  {
    key: 'charteIa',
    space: 'ia',
    by: 'cmine',
    title: 'Charte d’usage de l’IA générative en classe',
    tags: ['ia', 'charte'],
    body: 'Nous préparons une charte d’usage des outils d’IA générative pour les classes : données personnelles, vérification des sources, place de l’évaluation. Vos retours de terrain nous intéressent.',
    replies: [
      {
        by: 'prof',
        body: 'En sciences, nous faisons comparer aux élèves la réponse d’un outil d’IA avec le manuel : c’est un bon point de départ pour parler de vérification des sources.',
      },
    ],
    reactions: [{ post: 0, by: 'cmine', emoji: '❤️' }],
  },
];

interface FaqSeed {
  id: string;
  space: SpaceKey;
  by: DemoPersonaKey;
  question: string;
  answer: string;
  category: string;
  publishedBy?: DemoPersonaKey;
}

const FAQ: FaqSeed[] = [
  {
    id: DEMO_FAQ.accesPixOrga,
    space: 'tribuPix',
    by: 'dane',
    category: 'PIX Orga',
    question: 'Comment un établissement obtient-il son accès à PIX Orga ?',
    answer: [
      'L’accès PIX Orga est ouvert par la DANE pour chaque établissement public de l’académie. Le chef d’établissement reçoit une invitation ; il invite ensuite le **référent PIX**, qui peut à son tour inviter les enseignants.',
      '',
      'En cas de changement de référent, le chef d’établissement invite le nouveau et retire l’ancien dans l’onglet *Équipe*.',
    ].join('\n'),
    publishedBy: 'dane',
  },
  {
    id: DEMO_FAQ.elevesCertifies,
    space: 'tribuPix',
    by: 'referentPix',
    category: 'PIX Certif',
    question: 'Quels élèves passent la certification PIX ?',
    answer:
      'Les élèves de 3e et de terminale. L’établissement fixe ses sessions entre janvier et mai ; pour se présenter, un élève doit avoir positionné au moins cinq compétences dans son profil PIX.',
    publishedBy: 'dane',
  },
  {
    id: DEMO_FAQ.absentSession,
    space: 'tribuPix',
    by: 'dane',
    category: 'PIX Certif',
    question: 'Un élève est absent le jour de la session : que faire ?',
    answer:
      'Signalez son absence dans l’espace surveillant et sur le procès-verbal de la session, puis inscrivez-le à une session de rattrapage de l’établissement dans PIX Certif.',
    publishedBy: 'dane',
  },
  {
    id: DEMO_FAQ.motDePasse,
    space: 'tribuPix',
    by: 'dane',
    category: 'Comptes et ENT',
    question: 'Un élève a oublié son mot de passe PIX : que faire ?',
    answer: [
      'S’il se connecte par le médiacentre de l’ENT, il n’a pas de mot de passe PIX : il lui suffit de passer par l’ENT.',
      '',
      'S’il a un compte avec identifiant, son professeur ou le référent PIX réinitialise le mot de passe depuis PIX Orga, onglet *Élèves*, menu *Gérer le compte*.',
    ].join('\n'),
    publishedBy: 'dane',
  },
  {
    id: DEMO_FAQ.horsTempsScolaire,
    space: 'tribuPix',
    by: 'referentPix',
    category: 'PIX Orga',
    question: 'Peut-on proposer une campagne PIX en dehors des heures de cours ?',
    answer: 'À compléter avec vos retours d’expérience (devoirs faits, CDI, internat).',
  },
];

interface DocumentSeed {
  id: string;
  space: SpaceKey;
  by: DemoPersonaKey;
  title: string;
  competences: string[];
  body: string;
  revisions?: Array<{ by: DemoPersonaKey; summary: string; body: string }>;
  readBy?: DemoPersonaKey[];
}

const fiche = (objectifs: string, deroule: string[], prolonger: string): string =>
  ['## Objectifs', '', objectifs, '', '## Déroulé', '', ...deroule.map((line, i) => `${i + 1}. ${line}`), '', '## Pour aller plus loin', '', prolonger].join('\n');

const ECRITURE_V1 = fiche(
  'Rédiger à plusieurs un compte rendu de sortie avec le traitement de texte collaboratif de l’ENT.',
  ['Le professeur crée le document partagé et les groupes.', 'Chaque groupe rédige une partie.', 'Relecture croisée à l’aide des commentaires.'],
  'Comparer l’historique des versions avec les élèves.',
);
const ECRITURE_V2 = fiche(
  'Rédiger à plusieurs un compte rendu de sortie avec le traitement de texte collaboratif de l’ENT.',
  [
    'Le professeur crée le document partagé et les groupes (10 min).',
    'Chaque groupe rédige une partie, avec un rôle par élève : rédacteur, relecteur, illustrateur (30 min).',
    'Relecture croisée à l’aide des commentaires (15 min).',
    'Mise en forme commune : titres, styles, table des matières (10 min).',
  ],
  'Comparer l’historique des versions avec les élèves.',
);
const ECRITURE_V3 = `${ECRITURE_V2}

## Évaluation

| critère | acquis | en cours |
| --- | --- | --- |
| contribue à sa partie dans les temps | ☐ | ☐ |
| commente le travail d’un autre groupe avec bienveillance | ☐ | ☐ |
| utilise les styles de titre | ☐ | ☐ |`;

const DOCUMENTS: DocumentSeed[] = [
  {
    id: DEMO_DOCUMENTS.recherche,
    space: 'tribuPix',
    by: 'referentPix',
    title: 'Rechercher et vérifier une information en ligne (cycle 4)',
    competences: ['1.1'],
    body: fiche(
      'Formuler une requête efficace, croiser au moins deux sources et repérer l’auteur et la date d’une page.',
      [
        'Questionnement : « Le Mercantour compte-t-il plus de 1 000 loups ? »',
        'Recherche par binômes avec deux moteurs différents.',
        'Tableau des sources : auteur, date, type de site, fiabilité.',
        'Mise en commun et réponse argumentée.',
      ],
      'Les épreuves PIX de la compétence 1.1 reprennent ces gestes : les proposer en parcours de campagne.',
    ),
    readBy: ['rrupnMoulin', 'rrupnCurie'],
  },
  {
    id: DEMO_DOCUMENTS.fichiersEnt,
    space: 'tribuPix',
    by: 'dane',
    title: 'Organiser et partager ses fichiers dans l’ENT',
    competences: ['1.2', '2.2'],
    body: fiche(
      'Créer une arborescence claire dans l’espace de stockage de l’ENT et partager un dossier avec sa classe.',
      ['Nommer ses fichiers : date, matière, objet.', 'Créer un dossier par matière.', 'Partager un dossier en lecture seule, puis en écriture.'],
      'Aborder les droits d’accès : qui voit quoi, et pendant combien de temps ?',
    ),
  },
  {
    id: DEMO_DOCUMENTS.ecritureCollaborative,
    space: 'tribuPix',
    by: 'rrupnCurie',
    title: 'Écrire à plusieurs avec le traitement de texte collaboratif de l’ENT',
    competences: ['2.3', '3.1'],
    body: ECRITURE_V1,
    revisions: [
      { by: 'referentPix', summary: 'Durées et rôles dans le déroulé', body: ECRITURE_V2 },
      { by: 'rrupnCurie', summary: 'Ajout d’une grille d’évaluation', body: ECRITURE_V3 },
    ],
    readBy: ['referentPix', 'dane'],
  },
  {
    id: DEMO_DOCUMENTS.motsDePasse,
    space: 'tribuPix',
    by: 'dane',
    title: 'Mots de passe et sécurité des comptes',
    competences: ['4.1', '4.2'],
    body: fiche(
      'Construire un mot de passe robuste et mémorisable, reconnaître une tentative d’hameçonnage.',
      [
        'Jeu : classer dix mots de passe du plus faible au plus robuste.',
        'Méthode de la phrase de passe.',
        'Analyse de trois courriels suspects.',
      ],
      'Voir les ressources de Cybermalveillance.gouv.fr sur les mots de passe.',
    ),
  },
  {
    id: DEMO_DOCUMENTS.video6e,
    space: 'moulin',
    by: 'referentPix',
    title: 'Réaliser une courte vidéo de présentation en 6e',
    competences: ['3.2'],
    body: fiche(
      'Écrire un court scénario et réaliser une vidéo d’une minute présentant le collège aux CM2.',
      ['Écriture du scénario en groupes.', 'Tournage avec les tablettes du collège.', 'Montage simple et export.'],
      'Rappeler le droit à l’image : autorisations signées avant tout tournage.',
    ),
  },
  {
    id: DEMO_DOCUMENTS.python2de,
    space: 'curie',
    by: 'prof',
    title: 'Premiers pas en programmation Python en 2de',
    competences: ['3.4'],
    body: fiche(
      'Écrire un premier programme qui calcule une moyenne pondérée, avec une boucle et une fonction.',
      ['Découverte de l’environnement de programmation en ligne.', 'Variables et affichage.', 'Boucle sur une liste de notes.', 'Écrire la fonction moyenne.'],
      'Prolonger en SNT avec le traitement d’un fichier CSV de données ouvertes.',
    ),
  },
];

/** Adds the forums, FAQ and fiches of the demo académie to the seed's steps. */
export function demoContentSteps(ctx: DemoContentContext): void {
  const { commands, spaces, who, meta, step } = ctx;

  for (const topic of TOPICS) {
    const topicId = DEMO_TOPICS[topic.key];
    const openMeta = meta(`topic ${topic.key}`);
    // The opening post's id derives from the opening command's id (OpenTopicHandler).
    const openingPostId = subCommandId(openMeta.commandId, 'opening-post');
    const postId = (ref: PostRef) => (ref === 'opening' ? openingPostId : demoReplyId(topicId, ref));
    step(`sujet « ${topic.title} »`, () =>
      commands.execute(new OpenTopicCommand(spaces[topic.space], { title: topic.title, body: topic.body, tags: topic.tags }, who(topic.by), openMeta, topicId)),
    );
    for (const [index, reply] of (topic.replies ?? []).entries()) {
      step(`réponse ${index + 1} à « ${topic.title} »`, () =>
        commands.execute(
          new PostReplyCommand(
            topicId,
            { body: reply.body, ...(reply.replyTo === undefined ? {} : { replyTo: postId(reply.replyTo) }) },
            who(reply.by),
            meta(`topic ${topic.key} reply ${index}`),
            demoReplyId(topicId, index),
          ),
        ),
      );
    }
    for (const reaction of topic.reactions ?? []) {
      step(`réaction ${reaction.emoji} sur « ${topic.title} »`, () =>
        commands.execute(
          new ReactToPostCommand(postId(reaction.post), reaction.emoji, true, who(reaction.by), meta(`topic ${topic.key} reaction ${reaction.post} ${reaction.by} ${reaction.emoji}`)),
        ),
      );
    }
    if (topic.solution) {
      const { reply, by } = topic.solution;
      step(`solution de « ${topic.title} »`, () =>
        commands.execute(new ChooseSolutionCommand(topicId, demoReplyId(topicId, reply), who(by), meta(`topic ${topic.key} solution`))),
      );
    }
    if (topic.pinnedBy) {
      const by = topic.pinnedBy;
      step(`épinglé « ${topic.title} »`, () => commands.execute(new ModerateTopicCommand(topicId, 'pin', who(by), meta(`topic ${topic.key} pin`))));
    }
    if (topic.lockedBy) {
      const by = topic.lockedBy;
      step(`verrouillé « ${topic.title} »`, () => commands.execute(new ModerateTopicCommand(topicId, 'lock', who(by), meta(`topic ${topic.key} lock`))));
    }
    for (const reader of topic.readBy ?? []) {
      step(`lecture de « ${topic.title} »`, () => commands.execute(new ReadTopicCommand(topicId, who(reader), meta(`topic ${topic.key} read ${reader}`))));
    }
  }

  for (const entry of FAQ) {
    step(`FAQ « ${entry.question} »`, () =>
      commands.execute(
        new DraftFaqEntryCommand(
          spaces[entry.space],
          { question: entry.question, answer: entry.answer, category: entry.category },
          who(entry.by),
          meta(`faq ${entry.id}`),
          entry.id,
        ),
      ),
    );
    if (entry.publishedBy) {
      const by = entry.publishedBy;
      step(`FAQ publiée « ${entry.question} »`, () => commands.execute(new PublishFaqEntryCommand(entry.id, who(by), meta(`faq ${entry.id} publish`))));
    }
  }
  // The solved topic about the ENT becomes an entry (a draft that links back), reworded, then published.
  step('FAQ tirée du sujet résolu sur la tuile PIX', () =>
    commands.execute(new PromoteTopicToFaqCommand(DEMO_TOPICS.tuileEnt, { category: 'Comptes et ENT' }, who('dane'), meta('faq promote tuileEnt'))),
  );
  step('FAQ reformulée', () =>
    commands.execute(
      new EditFaqEntryCommand(
        DEMO_FAQ.tuileEnt,
        { question: 'La tuile PIX n’apparaît pas dans le médiacentre de l’ENT : que faire ?' },
        who('dane'),
        meta('faq promote tuileEnt edit'),
      ),
    ),
  );
  step('FAQ publiée (tuile PIX)', () => commands.execute(new PublishFaqEntryCommand(DEMO_FAQ.tuileEnt, who('dane'), meta('faq promote tuileEnt publish'))));

  for (const document of DOCUMENTS) {
    step(`fiche « ${document.title} »`, () =>
      commands.execute(
        new CreateDocumentCommand(
          spaces[document.space],
          { title: document.title, body: document.body, competences: document.competences },
          who(document.by),
          meta(`document ${document.id}`),
          document.id,
        ),
      ),
    );
    for (const [index, revision] of (document.revisions ?? []).entries()) {
      const baseRevision = index + 1;
      step(`révision ${baseRevision + 1} de « ${document.title} »`, () =>
        commands.execute(
          new WriteDocumentContentCommand(document.id, revision.body, baseRevision, revision.summary, who(revision.by), meta(`document ${document.id} revision ${baseRevision + 1}`)),
        ),
      );
    }
    for (const reader of document.readBy ?? []) {
      step(`lecture de « ${document.title} »`, () => commands.execute(new ReadDocumentCommand(document.id, who(reader), meta(`document ${document.id} read ${reader}`))));
    }
  }
}

/** The competences the demo's fiches serve (the indicators show the others as gaps). */
export const DEMO_COMPETENCES_SERVED = [...new Set(DOCUMENTS.flatMap((d) => d.competences))].sort();
