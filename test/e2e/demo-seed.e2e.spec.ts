import type request from 'supertest';
import { PIX_COMPETENCE_CODES } from '#ruche/domain-kit';
import { DEMO_PERSONAS, DEMO_SPACES, seedDemoAcademy, seedDemoYear } from '../../seeds/demo-academy.js';
import { DEMO_COMPETENCES_SERVED, DEMO_DOCUMENTS, DEMO_FAQ, DEMO_TOPICS, demoReplyId } from '../../seeds/demo-content.js';
import { DEMO_ESTABLISHMENTS, DEMO_MILESTONE_ORDER, DEMO_PERSONA_ESTABLISHMENTS, DEMO_UAIS } from '../../seeds/demo-establishments.js';
import type { DemoYearResult } from '../../seeds/synthetic-year.js';
import { startTestApp, storeKinds, type SignedInClient, type TestApp } from './support/test-app.js';

/**
 * The demo académie that `npm start` writes on an empty store: its topics, FAQ and fiches PIX
 * reach the API as its personas see them, and a second run writes nothing.
 */
const kinds = await storeKinds();

type PersonaKey = (typeof DEMO_PERSONAS)[number]['key'];

interface TopicItem {
  id: string;
  title: string;
  replyCount: number;
  pinned: boolean;
  locked: boolean;
  solved: boolean;
}
interface PostItem {
  id: string;
  replyTo: string | null;
  reactions: Record<string, number>;
  mine: string[];
}
interface FaqItem {
  id: string;
  question: string;
  category: string;
  status: string;
  fromTopicId?: string;
}

describe.each(kinds)('demo académie (%s)', (kind) => {
  let t: TestApp;
  let head = 0;
  /** The log's head once the académie (without its school year) was written. */
  let academyHead = 0;
  let year: DemoYearResult;
  const progress: Array<[number, number, string]> = [];
  const personas = new Map<PersonaKey, SignedInClient>();

  beforeAll(async () => {
    // A deployment seeds in its first process, before the second starts (compose waits for the
    // first to be ready): one process here too. Its time is printed, not asserted (a timed test
    // fails on a slow day: 64.9 s once on PostgreSQL with both Jest workers busy).
    t = await startTestApp(kind, {}, { singleProcess: 'seeds before any second process starts' });
    const started = Date.now();
    const academy = await seedDemoAcademy(t.app, (done, total, label) => progress.push([done, total, label]));
    academyHead = await t.store.headPosition();
    year = await seedDemoYear(t.app, { people: academy.people });
    process.stderr.write(`[demo seed, ${kind}] ${year.events} events of the school year, seeded in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    head = await t.store.headPosition();
    // Signing in with the e-mail alone changes nothing in the persona's profile.
    for (const persona of DEMO_PERSONAS) personas.set(persona.key, await t.signIn(persona.email));
  }, 180_000);
  afterAll(() => t?.close());

  /** A read as `key` sees it once the read models hold the whole seed. */
  const as = (key: PersonaKey, url: string): request.Test => personas.get(key)!.agent.get(url).set('X-Min-Position', String(head));
  /**
   * Every topic of a space, page after page: the synthetic year adds topics up to yesterday, so
   * which ones the first page holds depends on the day the test runs.
   */
  const allTopics = async (key: PersonaKey, spaceId: string, filter = ''): Promise<TopicItem[]> => {
    const items: TopicItem[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const page = (await as(key, `/api/spaces/${spaceId}/topics?limit=100${filter}${query}`).expect(200)).body as { items: TopicItem[]; nextCursor: string | null };
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return items;
  };

  it('reports every step of its progress, content included', () => {
    const total = progress[0]![1];
    expect(progress.map(([done]) => done)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const labels = progress.map(([, , label]) => label);
    expect(labels).toEqual(expect.arrayContaining(['sujet « Calendrier des campagnes PIX Orga 2025-2026 »', 'FAQ tirée du sujet résolu sur la tuile PIX']));
    expect(labels.some((label) => label.startsWith('fiche «'))).toBe(true);
  });

  it('signs the personas in as themselves', async () => {
    const me = await personas.get('referentPix')!.agent.get('/api/me').expect(200);
    expect(me.body).toMatchObject({ email: 'referent.pix@ac-demo.fr', roles: ['referent_pix', 'enseignant'], uai: '0061234X' });
  });

  it('shows TRIBU PIX académique’s forum: a pinned topic first, replies, a solved topic, an unanswered one', async () => {
    const topics = await allTopics('referentPix', DEMO_SPACES.tribuPix);
    expect(topics[0]).toMatchObject({ id: DEMO_TOPICS.calendrier, pinned: true, replyCount: 4, solved: false });
    const demoTopics = new Set<string>(Object.values(DEMO_TOPICS));
    expect(topics.map((topic) => topic.id).filter((id) => demoTopics.has(id)).sort()).toEqual(
      [DEMO_TOPICS.calendrier, DEMO_TOPICS.tuileEnt, DEMO_TOPICS.surveillance, DEMO_TOPICS.ressourcesTerminale].sort(),
    );
    // The school year adds its own topics beside the demo's.
    expect(topics.length).toBeGreaterThan(4);
    expect(topics.find((topic) => topic.id === DEMO_TOPICS.tuileEnt)).toMatchObject({ solved: true, replyCount: 3 });
    const unanswered = await allTopics('referentPix', DEMO_SPACES.tribuPix, '&sort=unanswered');
    expect(unanswered.map((topic) => topic.id).filter((id) => demoTopics.has(id))).toEqual([DEMO_TOPICS.ressourcesTerminale]);
    const certif = await allTopics('rrupnCurie', DEMO_SPACES.tribuPix, '&tag=pix-certif');
    expect(certif.map((topic) => topic.id).filter((id) => demoTopics.has(id)).sort()).toEqual([DEMO_TOPICS.surveillance, DEMO_TOPICS.ressourcesTerminale].sort());
  });

  it('shows a thread with quotes, reactions and its chosen solution', async () => {
    const page = (await as('referentPix', `/api/topics/${DEMO_TOPICS.tuileEnt}`).expect(200)).body;
    const [opening, first, solution, thanks] = page.posts.items as PostItem[];
    expect(page.topic).toMatchObject({ title: 'La tuile PIX n’apparaît pas dans le médiacentre de l’ENT', solutionPostId: solution!.id, tags: ['pix-orga', 'ent', 'gar'] });
    expect(page.posts.items).toHaveLength(4);
    expect(opening!.replyTo).toBeNull();
    expect(solution).toMatchObject({ id: demoReplyId(DEMO_TOPICS.tuileEnt, 1), replyTo: first!.id, reactions: { '❤️': 1, '👍': 2 }, mine: ['❤️'] });
    expect(thanks!.replyTo).toBe(solution!.id);
  });

  it('shows the collège’s restricted space to its members, with a solved and a locked topic, and not to others', async () => {
    const topics = await allTopics('chefMoulin', DEMO_SPACES.moulin);
    expect(topics.find((topic) => topic.id === DEMO_TOPICS.campagne6e)).toMatchObject({ solved: true, replyCount: 3 });
    expect(topics.find((topic) => topic.id === DEMO_TOPICS.salle112)).toMatchObject({ locked: true });
    await as('rrupnCurie', `/api/topics/${DEMO_TOPICS.campagne6e}`).expect(403);
  });

  it('keeps the private lycée’s content to its members', async () => {
    const page = (await as('prof', `/api/topics/${DEMO_TOPICS.comptesEnt}`).expect(200)).body;
    expect(page.topic).toMatchObject({ solved: true });
    await as('rrupnMoulin', `/api/topics/${DEMO_TOPICS.comptesEnt}`).expect(404);
    await as('rrupnMoulin', `/api/documents/${DEMO_DOCUMENTS.python2de}`).expect(404);
    expect((await as('prof', `/api/documents/${DEMO_DOCUMENTS.python2de}`).expect(200)).body.competences).toEqual([
      { code: '3.4', label: 'Programmer' },
    ]);
  });

  it('shows an FAQ in three categories, one entry promoted from the solved topic, and the draft to its author only', async () => {
    const published = (await as('rrupnMoulin', `/api/spaces/${DEMO_SPACES.tribuPix}/faq?limit=100`).expect(200)).body.items as FaqItem[];
    expect(published.map((entry) => entry.status)).toEqual(published.map(() => 'published'));
    expect(published.map((entry) => entry.id).sort()).toEqual(
      [DEMO_FAQ.accesPixOrga, DEMO_FAQ.elevesCertifies, DEMO_FAQ.absentSession, DEMO_FAQ.motDePasse, DEMO_FAQ.tuileEnt].sort(),
    );
    expect(new Set(published.map((entry) => entry.category))).toEqual(new Set(['PIX Orga', 'PIX Certif', 'Comptes et ENT']));
    expect(published.find((entry) => entry.id === DEMO_FAQ.tuileEnt)).toMatchObject({
      fromTopicId: DEMO_TOPICS.tuileEnt,
      question: 'La tuile PIX n’apparaît pas dans le médiacentre de l’ENT : que faire ?',
    });

    const mine = (await as('referentPix', `/api/spaces/${DEMO_SPACES.tribuPix}/faq?limit=100`).expect(200)).body.items as FaqItem[];
    expect(mine.find((entry) => entry.id === DEMO_FAQ.horsTempsScolaire)).toMatchObject({ status: 'draft' });
    await as('rrupnMoulin', `/api/faq/${DEMO_FAQ.horsTempsScolaire}`).expect(404);
  });

  it('shows fiches PIX tagged with competences, one with three revisions, and leaves some competences without any', async () => {
    const tribu = (await as('rrupnMoulin', `/api/spaces/${DEMO_SPACES.tribuPix}/documents?limit=100`).expect(200)).body.items as Array<{
      id: string;
      competences: Array<{ code: string }>;
    }>;
    expect(tribu).toHaveLength(4);
    const filtered = (await as('rrupnMoulin', `/api/spaces/${DEMO_SPACES.tribuPix}/documents?competence=2.3`).expect(200)).body.items;
    expect(filtered.map((d: { id: string }) => d.id)).toEqual([DEMO_DOCUMENTS.ecritureCollaborative]);

    const revisions = (await as('referentPix', `/api/documents/${DEMO_DOCUMENTS.ecritureCollaborative}/revisions`).expect(200)).body.items as Array<{
      revision: number;
      summary: string | null;
    }>;
    expect(revisions.map((r) => [r.revision, r.summary])).toEqual([
      [3, 'Ajout d’une grille d’évaluation'],
      [2, 'Durées et rôles dans le déroulé'],
      [1, null],
    ]);
    const diff = (await as('referentPix', `/api/documents/${DEMO_DOCUMENTS.ecritureCollaborative}/diff?from=2&to=3`).expect(200)).body;
    expect(diff.added).toBeGreaterThan(0);
    const document = (await as('referentPix', `/api/documents/${DEMO_DOCUMENTS.ecritureCollaborative}`).expect(200)).body;
    expect(document).toMatchObject({ revision: 3 });
    expect(document.contributors.length).toBe(2);

    // Every space's fiches, as the dane sees them: the competences served, and the gaps.
    const served = new Set<string>();
    for (const spaceId of Object.values(DEMO_SPACES)) {
      const items = (await as('dane', `/api/spaces/${spaceId}/documents?limit=100`).expect(200)).body.items as Array<{ competences: Array<{ code: string }> }>;
      for (const item of items) for (const { code } of item.competences) served.add(code);
    }
    expect([...served].sort()).toEqual(DEMO_COMPETENCES_SERVED);
    expect(PIX_COMPETENCE_CODES.filter((code) => !served.has(code)).length).toBeGreaterThanOrEqual(5);
  });

  it('finds the demo’s content in French full-text search, the private lycée’s only for its members', async () => {
    const search = async (key: PersonaKey, q: string) =>
      ((await as(key, `/api/search?q=${encodeURIComponent(q)}&limit=100`).expect(200)).body.items as Array<{ id: string; topicId?: string }>).map(
        (hit) => hit.topicId ?? hit.id,
      );
    expect(await search('rrupnMoulin', 'evaluation')).toContain(DEMO_DOCUMENTS.ecritureCollaborative);
    expect(await search('rrupnMoulin', 'surveillants')).toContain(DEMO_TOPICS.surveillance);
    expect(await search('prof', 'SIECLE')).toContain(DEMO_TOPICS.comptesEnt);
    expect(await search('rrupnMoulin', 'SIECLE')).not.toContain(DEMO_TOPICS.comptesEnt);
  });

  it('opens an establishment space per UAI, in 06 and 83, with an RRUPN and a référent PIX each', async () => {
    expect(DEMO_UAIS).toHaveLength(24);
    expect(new Set(DEMO_UAIS).size).toBe(24);
    for (const uai of DEMO_UAIS) expect(uai).toMatch(/^(006|083)\d{4}[A-Z]$/);
    const rows = (await as('dane', '/api/indicators/pix-deployment').expect(200)).body.items as Array<{ uai: string; department: string; milestones: Record<string, string | null> }>;
    for (const establishment of DEMO_ESTABLISHMENTS) {
      const row = rows.find((r) => r.uai === establishment.uai);
      expect(row).toBeDefined();
      expect(row!.department).toBe(establishment.uai.slice(1, 3));
      // Stages differ: exactly the first `stage` milestones, and the space opened.
      const reached = DEMO_MILESTONE_ORDER.filter((m) => row!.milestones[m]);
      expect(reached).toEqual(DEMO_MILESTONE_ORDER.slice(0, establishment.stage));
      expect(row!.milestones['space_opened']).toEqual(expect.any(String));
      const rrupn = await t.signIn(establishment.rrupn.email);
      expect((await rrupn.agent.get('/api/me').expect(200)).body).toMatchObject({ roles: ['rrupn', 'enseignant'], uai: establishment.uai });
      const space = (await rrupn.agent.get(`/api/spaces/${establishment.spaceId}`).set('X-Min-Position', String(head)).expect(200)).body;
      expect(space).toMatchObject({ kind: 'establishment', uai: establishment.uai, name: establishment.name });
    }
    expect(new Set(DEMO_ESTABLISHMENTS.map((e) => e.stage)).size).toBeGreaterThanOrEqual(5);
    for (const { uai, stage } of DEMO_PERSONA_ESTABLISHMENTS) {
      const row = rows.find((r) => r.uai === uai)!;
      expect(DEMO_MILESTONE_ORDER.filter((m) => row.milestones[m])).toEqual(DEMO_MILESTONE_ORDER.slice(0, stage));
    }
  });

  it('leaves the dormant establishments silent for 30 days and more, and the lively ones not', async () => {
    const dormant = (await as('dane', '/api/indicators/dormant-spaces?days=30').expect(200)).body.items as Array<{ spaceId: string; daysSince: number | null }>;
    const ids = new Set(dormant.map((d) => d.spaceId));
    for (const establishment of DEMO_ESTABLISHMENTS) expect([establishment.spaceId, ids.has(establishment.spaceId)]).toEqual([establishment.spaceId, !establishment.lively]);
    expect(DEMO_ESTABLISHMENTS.filter((e) => !e.lively).length).toBeGreaterThanOrEqual(5);
  });

  it('spreads a school year of activity over the months', async () => {
    expect(year.events).toBeGreaterThan(3_000);
    expect(year.events).toBeLessThan(25_000);
    // Each month since September holds topics, replies and consultations.
    const events = await t.store.readAll({ maxCount: 100_000 });
    const months = new Map<string, number>();
    for (const event of events) {
      if (event.metadata.correlationId !== 'seed-demo-year') continue;
      const at = (event.data as { at?: string }).at;
      if (at) months.set(at.slice(0, 7), (months.get(at.slice(0, 7)) ?? 0) + 1);
    }
    const today = new Date();
    const schoolYear = today.getUTCMonth() >= 8 ? today.getUTCFullYear() : today.getUTCFullYear() - 1;
    const expected: string[] = [];
    for (let d = new Date(Date.UTC(schoolYear, 8, 1)); d < new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1)); d.setUTCMonth(d.getUTCMonth() + 1)) {
      expected.push(d.toISOString().slice(0, 7));
    }
    for (const month of expected) expect([month, (months.get(month) ?? 0) > 100]).toEqual([month, true]);
    const figures = (await as('dane', `/api/indicators/academy?from=${schoolYear}-09-01&to=${today.toISOString().slice(0, 10)}&groupBy=department`).expect(200)).body;
    expect(figures.totals.topics).toBeGreaterThan(100);
  });

  it('runs again without writing anything, the school year included', async () => {
    const before = await t.store.headPosition();
    const academy = await seedDemoAcademy(t.app);
    const again = await seedDemoYear(t.app, { people: academy.people });
    expect(again).toMatchObject({ events: 0, skipped: year.appends });
    expect(await t.store.headPosition()).toBe(before);
  }, 60_000);

  it('writes what one run writes when two run at once (two processes starting on an empty store)', async () => {
    const twice = await startTestApp(kind, {}, { singleProcess: 'both seeds in one process, on one store' });
    try {
      await Promise.all([seedDemoAcademy(twice.app), seedDemoAcademy(twice.app)]);
      const countTypes = (events: readonly { type: string }[]) => {
        const counts: Record<string, number> = {};
        for (const { type } of events) counts[type] = (counts[type] ?? 0) + 1;
        return counts;
      };
      const once = countTypes(await t.store.readAll({ fromPosition: 0, maxCount: academyHead }));
      const both = await twice.store.readAll({ fromPosition: 0, maxCount: 100_000 });
      expect(countTypes(both)).toEqual(once);
      // One user per e-mail: the same command run twice must not register two.
      const emails = both.filter((e) => e.type === 'UserRegistered').map((e) => (e.data as { email: string }).email);
      expect(new Set(emails).size).toBe(emails.length);
    } finally {
      await twice.close();
    }
  }, 60_000);

  it('runs again without writing anything', async () => {
    const before = await t.store.headPosition();
    const again: number[] = [];
    await seedDemoAcademy(t.app, (done) => again.push(done));
    expect(await t.store.headPosition()).toBe(before);
    expect(again).toHaveLength(progress.length);
  }, 60_000);
});
