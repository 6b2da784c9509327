import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import pg from 'pg';
import request from 'supertest';
import { testDatabaseUrl, uniqueSchema } from '#ruche/eventstore/testing';
import type { EventStore } from '#ruche/eventstore';
import { EVENT_STORE, type Clock } from '#ruche/platform';
import { loadConfiguration } from '../../apps/api/src/config/configuration.js';
import { createApp } from '../../apps/api/src/bootstrap.js';
import { DEMO_PERSONAS, DEMO_SPACES, seedDemoAcademy } from '../../seeds/demo-academy.js';
import { freshEmail, startTestApp, storeKinds, type StoreKind, type TestApp } from './support/test-app.js';

/*
 * Issue #8 end to end: every figure against a hand-computed week of one establishment, the
 * events behind each figure, the roll-ups, the public page, CSV, the access rules and bad input,
 * on SQLite and PostgreSQL. Time is the app's clock, moved by the test: days are cut in Paris.
 */

const kinds = await storeKinds();

const FIELDS = [
  'topics',
  'replies',
  'contributors',
  'newMembers',
  'documents',
  'revisions',
  'faqPublished',
  'views',
  'uniqueVisitors',
  'unansweredTopics',
  'medianFirstReplyHours',
] as const;
type Field = (typeof FIELDS)[number];
type Figures = Record<Field, number | null>;

const ZERO: Figures = {
  topics: 0,
  replies: 0,
  contributors: 0,
  newMembers: 0,
  documents: 0,
  revisions: 0,
  faqPublished: 0,
  views: 0,
  uniqueVisitors: 0,
  unansweredTopics: 0,
  medianFirstReplyHours: null,
};
const figures = (partial: Partial<Figures>): Figures => ({ ...ZERO, ...partial });

const UAI = '0061234X';
const UAI_83 = '0830042K';
const UAI_WITHOUT_SPACE = '0069999Z';

interface Persona {
  email: string;
  displayName: string;
  roles: string[];
  uai?: string;
}

const PERSONAS = {
  dane: { displayName: 'Dominique Dane', roles: ['dane'] },
  cmine: { displayName: 'Claire Cmine', roles: ['cmine'] },
  inspecteur: { displayName: 'Ivan Inspecteur', roles: ['inspecteur'] },
  ian: { displayName: 'Iris Ian', roles: ['ian'] },
  rrupn: { displayName: 'Rémi Rrupn', roles: ['rrupn', 'enseignant'], uai: UAI },
  chef: { displayName: 'Sophie Cheffe', roles: ['chef_etablissement'], uai: UAI },
  rrupn83: { displayName: 'Inès Rrupn Var', roles: ['rrupn'], uai: UAI_83 },
  prof1: { displayName: 'Paul Premier', roles: ['enseignant', 'referent_pix'], uai: UAI },
  prof2: { displayName: 'Pauline Seconde', roles: ['enseignant'], uai: UAI },
  reader3: { displayName: 'Rita Lectrice', roles: ['enseignant'], uai: UAI },
  teacher: { displayName: 'Théo Thématique', roles: ['enseignant'] },
  outsider: { displayName: 'Olivier Dehors', roles: ['enseignant'] },
} as const satisfies Record<string, Omit<Persona, 'email'>>;
type Who = keyof typeof PERSONAS;

/**
 * A signed-in persona: its session cookie is sent by hand, as a cookie jar would drop it once
 * its expiry (12 h after the app's clock, which lives in 2026) is past on the real clock.
 */
interface Client {
  cookie: string;
  id: string;
}

interface Caller {
  get(url: string): request.Test;
  post(url: string): request.Test;
  put(url: string): request.Test;
  patch(url: string): request.Test;
}

describe.each(kinds)('indicators end to end (%s)', (kind: StoreKind) => {
  /** The app's only clock: it moves when the test says. */
  const clock = { at: new Date('2026-10-05T08:00:00.000Z'), now: (): Date => new Date(clock.at) } satisfies Clock & { at: Date };
  let app: INestApplication;
  let store: EventStore;
  let dataDir: string;
  let schema: string;
  const emails = new Map<Who, string>();
  const clients = new Map<Who, Client>();
  let lastPosition = 0;

  const ids = { academic: '', e1: '', e2: '', thematic: '', x: '', y: '', z: '', w: '', p: '', t: '', d1: '', faq: '' };

  const server = () => app.getHttpServer();
  const as = (who: Who): Caller => {
    const { cookie } = clients.get(who)!;
    return {
      get: (url) => request(server()).get(url).set('Cookie', cookie),
      post: (url) => request(server()).post(url).set('Cookie', cookie),
      put: (url) => request(server()).put(url).set('Cookie', cookie),
      patch: (url) => request(server()).patch(url).set('Cookie', cookie),
    };
  };
  const userId = (who: Who): string => clients.get(who)!.id;
  const landed = (r: request.Response): Record<string, unknown> & { id: string; position: number } => {
    lastPosition = Math.max(lastPosition, r.body.position as number);
    return r.body;
  };
  const write = async (send: request.Test, status = 201) => {
    const r = await send;
    if (r.status !== status) throw new Error(`${status} expected, got ${r.status} (clock ${clock.at.toISOString()}): ${r.text.slice(0, 400)}`);
    return landed(r);
  };
  const get = (who: Who | 'anonymous', url: string): request.Test =>
    (who === 'anonymous' ? request(server()) : as(who)).get(url).set('X-Min-Position', String(lastPosition));
  const body = async (who: Who, url: string) => {
    const r = await get(who, url);
    if (r.status !== 200) throw new Error(`GET ${url} as ${who}: ${r.status} ${r.text.slice(0, 400)}`);
    return r.body;
  };
  const fieldsOf = (r: request.Response): string[] => [...new Set((r.body.errors ?? []).map((e: { field: string }) => e.field) as string[])].sort();
  /** What was appended since `position`, but the security audit's record of a refusal. */
  const written = async (position: number): Promise<string[]> =>
    (await store.readAll({ fromPosition: position })).filter((e) => !e.streamName.startsWith('audit-')).map((e) => `${e.type} ${e.streamName}`);
  /** Expects a problem with `status` (naming `fields`), and nothing written. */
  const refused = async (status: number, send: () => request.Test, fields?: string[]) => {
    const before = await store.headPosition();
    const r = await send();
    expect({ status: r.status, text: r.status === status ? '' : r.text }).toEqual({ status, text: '' });
    expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
    if (fields) expect(fieldsOf(r)).toEqual([...fields].sort());
    expect(await written(before)).toEqual([]);
    return r;
  };

  async function signIn(who: Who): Promise<void> {
    const persona = PERSONAS[who] as Omit<Persona, 'email'>;
    const r = await request(server()).post('/api/auth/dev-login').send({ email: emails.get(who), ...persona });
    if (r.status !== 200) throw new Error(`sign-in of ${who}: ${r.status} ${r.text}`);
    const setCookie = ([] as string[]).concat(r.headers['set-cookie'] ?? []);
    const session = setCookie.map((c) => c.split(';')[0]!).find((c) => c.startsWith('ruche_session='));
    if (!session) throw new Error(`sign-in of ${who} set no session cookie`);
    clients.set(who, { cookie: session, id: r.body.id as string });
  }

  /** Moves the clock, and signs everyone in again (sessions last 12 h of that clock). */
  async function moveTo(iso: string): Promise<void> {
    clock.at = new Date(iso);
    for (const who of Object.keys(PERSONAS) as Who[]) await signIn(who);
  }

  const openTopic = async (who: Who, spaceId: string, title: string) =>
    (await write(as(who).post(`/api/spaces/${spaceId}/topics`).send({ title, body: `${title} : qui a une idée ?` }))).id;
  const reply = (who: Who, topicId: string) => write(as(who).post(`/api/topics/${topicId}/posts`).send({ body: 'Voici ce que je fais en classe.' }));
  const readTopic = (who: Who, topicId: string) => write(as(who).post(`/api/topics/${topicId}/read`), 200);

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ruche-indicators-'));
    schema = uniqueSchema('e2e_ind');
    const config = loadConfiguration({
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      SEED: 'none',
      ...(kind === 'postgres' ? { DATABASE_URL: testDatabaseUrl, DATABASE_SCHEMA: schema } : {}),
    });
    app = await createApp(config, { clock });
    await app.init();
    store = app.get<EventStore>(EVENT_STORE);
    for (const who of Object.keys(PERSONAS) as Who[]) emails.set(who, freshEmail(who));
    await moveTo('2026-10-05T08:00:00.000Z');

    // Monday 5 October 2026, 10:00 in Paris (UTC+2).
    ids.academic = (await write(as('dane').post('/api/spaces').send({ name: 'TRIBU PIX académique', kind: 'academic', visibility: 'public' }))).id;
    ids.e1 = (await write(as('rrupn').post('/api/spaces').send({ name: 'Collège Jean Moulin', kind: 'establishment', visibility: 'restricted', uai: UAI }))).id;
    ids.e2 = (await write(as('rrupn83').post('/api/spaces').send({ name: 'Lycée Curie (privé)', kind: 'establishment', visibility: 'private', uai: UAI_83 }))).id;
    ids.thematic = (await write(as('teacher').post('/api/spaces').send({ name: 'Usages du numérique', kind: 'thematic', visibility: 'public' }))).id;
    for (const [who, role] of [['prof1', 'contributor'], ['prof2', 'contributor'], ['reader3', 'reader']] as const) {
      await write(as('rrupn').post(`/api/spaces/${ids.e1}/members`).send({ email: emails.get(who), role }));
    }
    ids.x = await openTopic('prof1', ids.e1, 'Sujet X');
    await reply('prof1', ids.x); // a self-reply: a reply, not an answer
    await readTopic('prof2', ids.x);
    await readTopic('reader3', ids.x);
    const doc = await write(as('prof1').post(`/api/spaces/${ids.e1}/documents`).send({ title: 'Fiche recherche', body: '# Chercher', competences: ['1.1', '3.1'] }));
    ids.d1 = doc.id;

    // 12:00 in Paris: prof2 answers X two hours after it was opened, then reads it again.
    await moveTo('2026-10-05T10:00:00.000Z');
    await reply('prof2', ids.x);
    await readTopic('prof2', ids.x);

    // 00:30 in Paris on Tuesday 6 October, still the 5th in UTC: topic Y counts on the 6th.
    await moveTo('2026-10-05T22:30:00.000Z');
    ids.y = await openTopic('prof2', ids.e1, 'Sujet Y');

    await moveTo('2026-10-06T09:00:00.000Z');
    await write(as('reader3').post(`/api/documents/${ids.d1}/read`), 200);
    await write(as('prof1').put(`/api/documents/${ids.d1}/content`).send({ body: '# Chercher\n\nEt trier.', baseRevision: 1 }), 200);
    await write(as('prof1').patch(`/api/documents/${ids.d1}`).send({ competences: ['1.1', '2.1'] }), 200);
    await write(as('prof1').post(`/api/spaces/${ids.academic}/join`), 200);
    await write(as('prof1').post(`/api/spaces/${ids.thematic}/join`), 200);
    ids.t = await openTopic('prof1', ids.thematic, 'Sujet thématique');

    // 01:00 in Paris on Friday 9 October: prof1 answers Y 72 h 30 after it was opened (too late).
    await moveTo('2026-10-08T23:00:00.000Z');
    await reply('prof1', ids.y);

    await moveTo('2026-10-09T08:00:00.000Z');
    ids.z = await openTopic('prof1', ids.e1, 'Sujet Z, sans réponse');
    await moveTo('2026-10-09T09:00:00.000Z');
    ids.w = await openTopic('prof2', ids.e1, 'Sujet W');
    await moveTo('2026-10-09T10:30:00.000Z');
    await reply('rrupn', ids.w); // a manager's post answers like anyone's

    await moveTo('2026-10-09T12:00:00.000Z');
    ids.faq = (await write(as('prof1').post(`/api/spaces/${ids.e1}/faq`).send({ question: 'Comment activer PIX Orga ?', answer: 'Avec le référent.' }))).id;
    await write(as('rrupn').post(`/api/faq/${ids.faq}/publish`), 200);
    await write(as('rrupn').post(`/api/faq/${ids.faq}/unpublish`), 200);
    await write(as('rrupn').post(`/api/faq/${ids.faq}/publish`), 200); // the same entry: counted once

    // Monday 12 October, 09:00 in Paris: P opened an hour ago is not unanswered yet.
    await moveTo('2026-10-12T06:00:00.000Z');
    ids.p = await openTopic('prof1', ids.e1, 'Sujet P, tout frais');
    await moveTo('2026-10-12T07:00:00.000Z');
    await write(as('rrupn').post(`/api/establishments/${UAI}/milestones`).send({ milestone: 'referent_designated', date: '2026-09-15' }));
    await write(as('dane').post(`/api/establishments/${UAI}/milestones`).send({ milestone: 'pix_orga_activated' }));
    await write(as('dane').post(`/api/establishments/${UAI_WITHOUT_SPACE}/milestones`).send({ milestone: 'digital_committee_set_up', date: '2026-10-01' }));
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (kind === 'postgres') {
      const client = new pg.Client({ connectionString: testDatabaseUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  });

  /** The hand-computed week of the Collège Jean Moulin (E1), per Paris day. */
  const E1_DAYS: Record<string, Figures> = {
    '2026-10-05': figures({ topics: 1, replies: 2, contributors: 2, newMembers: 4, documents: 1, views: 3, uniqueVisitors: 2, medianFirstReplyHours: 2 }),
    '2026-10-06': figures({ topics: 1, contributors: 2, revisions: 1, views: 1, uniqueVisitors: 1, unansweredTopics: 1, medianFirstReplyHours: 72.5 }),
    '2026-10-09': figures({ topics: 2, replies: 2, contributors: 3, faqPublished: 1, unansweredTopics: 1, medianFirstReplyHours: 1.5 }),
    '2026-10-12': figures({ topics: 1, contributors: 1 }),
  };
  const E1_TOTALS = figures({
    topics: 5,
    replies: 4,
    contributors: 3,
    newMembers: 4,
    documents: 1,
    revisions: 1,
    faqPublished: 1,
    views: 4,
    uniqueVisitors: 2,
    unansweredTopics: 2,
    medianFirstReplyHours: 2,
  });

  /** The académie around it: the TRIBU space and the thematic one (A and T), the private Lycée (E2). */
  const OUTSIDE = figures({ topics: 1, contributors: 1, newMembers: 4, unansweredTopics: 1 });
  const E2 = figures({ newMembers: 1 });
  const ALL = figures({ ...E1_TOTALS, topics: 6, newMembers: 9, unansweredTopics: 3 });

  describe("a space's figures", () => {
    it('per Paris day, against the hand-computed week, with the span before', async () => {
      await moveTo('2026-10-12T08:00:00.000Z');
      const r = await body('rrupn', `/api/indicators/spaces/${ids.e1}?from=2026-10-05&to=2026-10-12`);
      expect(r).toMatchObject({ from: '2026-10-05', to: '2026-10-12', granularity: 'day' });
      expect(r.series).toHaveLength(8);
      for (const point of r.series) expect({ period: point.period, ...point }).toEqual({ period: point.period, ...(E1_DAYS[point.period] ?? ZERO) });
      expect(r.previous.map((p: { period: string }) => p.period)).toEqual([
        '2026-09-27', '2026-09-28', '2026-09-29', '2026-09-30', '2026-10-01', '2026-10-02', '2026-10-03', '2026-10-04',
      ]);
      for (const point of r.previous) expect(point).toEqual({ period: point.period, ...ZERO });
      expect(r.totals).toEqual(E1_TOTALS);
      expect(r.previousTotals).toEqual(ZERO);
    });

    it('per week: people are counted once per week, the median over the week', async () => {
      const r = await body('dane', `/api/indicators/spaces/${ids.e1}?from=2026-10-05&to=2026-10-12&granularity=week`);
      expect(r).toMatchObject({ from: '2026-10-05', to: '2026-10-18', granularity: 'week' });
      expect(r.series).toEqual([
        { period: '2026-10-05', ...E1_TOTALS, topics: 4, contributors: 3, unansweredTopics: 2 },
        { period: '2026-10-12', ...figures({ topics: 1, contributors: 1 }) },
      ]);
      expect(r.previous).toEqual([
        { period: '2026-09-21', ...ZERO },
        { period: '2026-09-28', ...ZERO },
      ]);
      expect(r.totals).toEqual(E1_TOTALS);
    });

    it('per month', async () => {
      const r = await body('cmine', `/api/indicators/spaces/${ids.e1}?from=2026-10-12&to=2026-10-12&granularity=month`);
      expect(r).toMatchObject({ from: '2026-10-01', to: '2026-10-31', granularity: 'month' });
      expect(r.series).toEqual([{ period: '2026-10-01', ...E1_TOTALS }]);
      expect(r.previous).toEqual([{ period: '2026-09-01', ...ZERO }]);
    });

    it('counts a topic unanswered once its 48 h are over', async () => {
      await moveTo('2026-10-14T06:00:00.000Z'); // P was opened 48 h ago exactly: still waiting
      const before = await body('rrupn', `/api/indicators/spaces/${ids.e1}?from=2026-10-12&to=2026-10-12`);
      expect(before.totals.unansweredTopics).toBe(0);
      await moveTo('2026-10-14T06:00:01.000Z');
      const after = await body('rrupn', `/api/indicators/spaces/${ids.e1}?from=2026-10-12&to=2026-10-12`);
      expect(after.totals.unansweredTopics).toBe(1);
      await moveTo('2026-10-12T08:00:00.000Z');
    });

    it('answers CSV for a French spreadsheet (BOM, semicolons, decimal comma)', async () => {
      const r = await get('rrupn', `/api/indicators/spaces/${ids.e1}?from=2026-10-05&to=2026-10-12&format=csv`);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
      const text = r.text;
      expect(text.charCodeAt(0)).toBe(0xfeff);
      const lines = text.slice(1).split('\r\n');
      expect(lines[0]).toBe(`span;period;${FIELDS.join(';')}`);
      expect(lines).toContain('current;2026-10-06;1;0;2;0;0;1;0;1;1;1;72,5');
      expect(lines).toContain('total;2026-10-05;5;4;3;4;1;1;1;4;2;2;2');
    });
  });

  describe('the explain list of every figure', () => {
    const explainAll = async (query: string) => {
      const items: { position: number; type: string; streamName: string; at: string; createdAt: string }[] = [];
      let cursor: string | null = null;
      let figure: number | null = null;
      do {
        const page: { items: typeof items; nextCursor: string | null; figure: number | null } = await body(
          'rrupn',
          `/api/indicators/explain?${query}&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        );
        items.push(...page.items);
        figure = page.figure;
        cursor = page.nextCursor;
      } while (cursor);
      return { items, figure };
    };
    const medianHours = (items: { type: string; streamName: string; at: string }[]): number | null => {
      const opened = new Map(items.filter((i) => i.type === 'TopicOpened').map((i) => [i.streamName, Date.parse(i.at)]));
      const delays = items.filter((i) => i.type === 'ReplyPosted').map((i) => Date.parse(i.at) - opened.get(i.streamName)!).sort((a, b) => a - b);
      if (delays.length === 0) return null;
      const m = Math.floor(delays.length / 2);
      const ms = delays.length % 2 ? delays[m]! : (delays[m - 1]! + delays[m]!) / 2;
      return Math.round(ms / 360_000) / 10;
    };
    const TYPES: Record<Field, string[]> = {
      topics: ['TopicOpened'],
      replies: ['ReplyPosted'],
      contributors: ['TopicOpened', 'ReplyPosted', 'DocumentCreated', 'DocumentRevised', 'FaqEntryPublished'],
      newMembers: ['MemberAdded', 'MemberJoined', 'JoinRequestApproved'],
      documents: ['DocumentCreated'],
      revisions: ['DocumentRevised'],
      faqPublished: ['FaqEntryPublished'],
      views: ['TopicRead', 'DocumentRead'],
      uniqueVisitors: ['TopicRead', 'DocumentRead'],
      unansweredTopics: ['TopicOpened'],
      medianFirstReplyHours: ['TopicOpened', 'ReplyPosted'],
    };

    const check = async (query: string, expected: Figures) => {
      for (const field of FIELDS) {
        const { items, figure } = await explainAll(`${query}&field=${field}`);
        expect({ field, figure }).toEqual({ field, figure: expected[field] });
        if (field === 'medianFirstReplyHours') expect({ field, median: medianHours(items) }).toEqual({ field, median: expected[field] });
        else expect({ field, listed: items.length }).toEqual({ field, listed: expected[field] });
        for (const item of items) expect(TYPES[field]).toContain(item.type);
        expect(items.map((i) => i.position)).toEqual([...items.map((i) => i.position)].sort((a, b) => a - b));
      }
    };

    it.each(Object.keys(E1_DAYS))('for each field of the Collège on %s', async (day) => {
      await check(`indicator=space&key=${ids.e1}&period=${day}&granularity=day`, E1_DAYS[day]!);
    });

    it('for each field of its week, and of its whole span', async () => {
      await check(`indicator=space&key=${ids.e1}&period=2026-10-05&granularity=week`, { ...E1_TOTALS, topics: 4, unansweredTopics: 2 });
      await check(`indicator=establishment&key=${UAI}&from=2026-10-05&to=2026-10-12`, E1_TOTALS);
    });

    it('lists distinct people once, by their first event, with stream and times', async () => {
      const { items } = await explainAll(`indicator=space&key=${ids.e1}&period=2026-10-05&field=uniqueVisitors`);
      expect(items).toEqual([
        expect.objectContaining({ type: 'TopicRead', streamName: `topic-${ids.x}`, at: '2026-10-05T08:00:00.000Z', createdAt: expect.any(String) }),
        expect.objectContaining({ type: 'TopicRead', streamName: `topic-${ids.x}`, at: '2026-10-05T08:00:00.000Z' }),
      ]);
      const unanswered = await explainAll(`indicator=space&key=${ids.e1}&from=2026-10-05&to=2026-10-12&field=unansweredTopics`);
      expect(unanswered.items.map((i) => i.streamName)).toEqual([`topic-${ids.y}`, `topic-${ids.z}`]);
    });

    it('answers CSV too', async () => {
      const r = await get('rrupn', `/api/indicators/explain?indicator=space&key=${ids.e1}&period=2026-10-05&field=topics`)
        .set('Accept', 'text/csv');
      expect(r.headers['content-type']).toMatch(/^text\/csv/);
      expect((r.text).slice(1).split('\r\n')[0]).toBe('position;type;streamName;createdAt;at');
      expect(r.text).toContain(`;TopicOpened;topic-${ids.x};`);
    });
  });

  describe('roll-ups of the académie', () => {
    const span = 'from=2026-10-05&to=2026-10-12';
    const rowsOf = async (who: Who, groupBy: string) => {
      const r = await body(who, `/api/indicators/academy?${span}&groupBy=${groupBy}`);
      return { ...r, byKey: new Map((r.rows as (Figures & { key: string; label: string })[]).map((row) => [row.key, row])) };
    };

    it('by establishment, with the spaces outside any establishment, and totals counting a person once', async () => {
      const r = await rowsOf('dane', 'establishment');
      expect(r).toMatchObject({ from: '2026-10-05', to: '2026-10-12', groupBy: 'establishment' });
      expect(r.byKey.get(UAI)).toEqual({ key: UAI, label: 'Collège Jean Moulin', ...E1_TOTALS });
      expect(r.byKey.get(UAI_83)).toEqual({ key: UAI_83, label: 'Lycée Curie (privé)', ...E2 });
      expect(r.byKey.get('none')).toMatchObject(OUTSIDE);
      expect(r.totals).toEqual(ALL);
      expect(r.previousTotals).toEqual(ZERO);
    });

    it('by département: 0061234X is in 06', async () => {
      const r = await rowsOf('inspecteur', 'department');
      expect(r.byKey.get('06')).toEqual({ key: '06', label: '06 — Alpes-Maritimes', ...E1_TOTALS });
      expect(r.byKey.get('83')).toEqual({ key: '83', label: '83 — Var', ...E2 });
      expect(r.byKey.get('none')).toMatchObject(OUTSIDE);
    });

    it('by kind', async () => {
      const r = await rowsOf('dane', 'kind');
      expect(r.byKey.get('establishment')).toMatchObject({ ...E1_TOTALS, newMembers: 5 });
      expect(r.byKey.get('academic')).toMatchObject(figures({ newMembers: 2 }));
      expect(r.byKey.get('thematic')).toMatchObject(figures({ topics: 1, contributors: 1, newMembers: 2, unansweredTopics: 1 }));
    });

    it('by space: a private space the caller may not know is never named, only counted under "Espaces privés"', async () => {
      const dane = await rowsOf('dane', 'space');
      expect(dane.byKey.get(ids.e2)).toMatchObject({ label: 'Lycée Curie (privé)', newMembers: 1 });
      const cmine = await rowsOf('cmine', 'space');
      expect(cmine.byKey.has(ids.e2)).toBe(false);
      expect(cmine.byKey.get('hidden')).toMatchObject({ label: 'Espaces privés', newMembers: 1 });
      expect(JSON.stringify(cmine.rows)).not.toContain('Curie');
      expect(cmine.byKey.get(UAI_83)).toBeUndefined();
      expect(cmine.totals).toEqual(ALL);
      const est = await rowsOf('cmine', 'establishment');
      expect(est.byKey.get(UAI_83)).toMatchObject({ label: `Établissement ${UAI_83}` });
    });

    it('answers CSV to Accept: text/csv', async () => {
      const r = await get('dane', `/api/indicators/academy?${span}&groupBy=department`).set('Accept', 'text/csv');
      const lines = (r.text).slice(1).split('\r\n');
      expect(lines[0]).toBe(`key;label;${FIELDS.join(';')}`);
      expect(lines).toContain('06;06 — Alpes-Maritimes;5;4;3;4;1;1;1;4;2;2;2');
    });
  });

  describe("an establishment's figures", () => {
    it('lists its spaces with their figures and its milestones', async () => {
      const r = await body('chef', `/api/indicators/establishments/${UAI.toLowerCase()}?from=2026-10-05&to=2026-10-12`);
      expect(r).toMatchObject({ uai: UAI, name: 'Collège Jean Moulin', department: '06', from: '2026-10-05', to: '2026-10-12' });
      expect(r.spaces).toEqual([{ spaceId: ids.e1, name: 'Collège Jean Moulin', kind: 'establishment', visibility: 'restricted', ...E1_TOTALS }]);
      expect(r.totals).toEqual(E1_TOTALS);
      expect(r.milestones).toEqual({
        referent_designated: '2026-09-15',
        referent_trained_pix_orga: null,
        referent_trained_pix_certif: null,
        pix_orga_activated: '2026-10-12',
        pix_certif_activated: null,
        digital_committee_set_up: null,
        space_opened: '2026-10-05',
      });
    });

    it('answers 404 for a UAI with neither space nor milestone', async () => {
      await refused(404, () => get('dane', '/api/indicators/establishments/0069998Y'));
    });
  });

  describe('dormant spaces, fiches per competence, PIX deployment', () => {
    it('lists the spaces without contribution for `days` days, each reader among the spaces they follow', async () => {
      const dane = await body('dane', '/api/indicators/dormant-spaces?days=3');
      expect(dane.items).toEqual([
        { spaceId: ids.e2, name: 'Lycée Curie (privé)', kind: 'establishment', uai: UAI_83, lastContributionAt: null, daysSince: 7 },
        { spaceId: ids.academic, name: 'TRIBU PIX académique', kind: 'academic', uai: null, lastContributionAt: null, daysSince: 7 },
        { spaceId: ids.thematic, name: 'Usages du numérique', kind: 'thematic', uai: null, lastContributionAt: '2026-10-06T09:00:00.000Z', daysSince: 6 },
      ]);
      const cmine = await body('cmine', '/api/indicators/dormant-spaces?days=3');
      expect(cmine.items.map((i: { spaceId: string }) => i.spaceId)).toEqual([ids.academic, ids.thematic]);
      expect((await body('teacher', '/api/indicators/dormant-spaces?days=3')).items.map((i: { spaceId: string }) => i.spaceId)).toEqual([ids.thematic]);
      expect((await body('rrupn', '/api/indicators/dormant-spaces?days=1')).items).toEqual([]);
      expect((await body('outsider', '/api/indicators/dormant-spaces')).items).toEqual([]);
      expect((await body('dane', '/api/indicators/dormant-spaces?days=7')).items).toHaveLength(2);
    });

    it('counts fiches per competence, all 16 with the empty ones, following re-tags', async () => {
      const r = await body('dane', '/api/indicators/pix-competences');
      expect(r.items).toHaveLength(16);
      expect(r.items.map((i: { code: string }) => i.code)).toEqual([
        '1.1', '1.2', '1.3', '2.1', '2.2', '2.3', '2.4', '3.1', '3.2', '3.3', '3.4', '4.1', '4.2', '4.3', '5.1', '5.2',
      ]);
      const counts = Object.fromEntries(r.items.map((i: { code: string; documents: number }) => [i.code, i.documents]));
      expect(counts).toMatchObject({ '1.1': 1, '2.1': 1, '3.1': 0, '5.2': 0 });
      expect(r.items[0]).toEqual({ code: '1.1', label: 'Mener une recherche et une veille d’information', documents: 1 });
      const ofThematic = await body('teacher', `/api/indicators/pix-competences?spaceId=${ids.thematic}`);
      expect(ofThematic.items.every((i: { documents: number }) => i.documents === 0)).toBe(true);
      expect((await body('chef', `/api/indicators/pix-competences?uai=${UAI}`)).items[0].documents).toBe(1);
    });

    it('tables the PIX deployment, space_opened from the establishment space', async () => {
      const r = await body('outsider', '/api/indicators/pix-deployment');
      const byUai = new Map(r.items.map((i: { uai: string }) => [i.uai, i]));
      expect(byUai.get(UAI)).toMatchObject({ uai: UAI, name: 'Collège Jean Moulin', department: '06', milestones: { referent_designated: '2026-09-15', space_opened: '2026-10-05' } });
      expect(byUai.get(UAI_83)).toMatchObject({ name: `Établissement ${UAI_83}`, department: '83', milestones: { space_opened: '2026-10-05', referent_designated: null } });
      expect(byUai.get(UAI_WITHOUT_SPACE)).toMatchObject({ name: `Établissement ${UAI_WITHOUT_SPACE}`, milestones: { digital_committee_set_up: '2026-10-01', space_opened: null } });
      const csv = await get('dane', '/api/indicators/pix-deployment?format=csv');
      expect(csv.text.slice(1).split('\r\n')[0]).toBe('uai;name;department;referent_designated;referent_trained_pix_orga;referent_trained_pix_certif;pix_orga_activated;pix_certif_activated;digital_committee_set_up;space_opened');
    });
  });

  describe('the public page', () => {
    it('needs no sign-in, masks people under 5, and holds no e-mail, name or user id', async () => {
      const r = await request(server()).get('/api/public/indicators?from=2026-10-05&to=2026-10-12').set('X-Min-Position', String(lastPosition));
      expect(r.status).toBe(200);
      expect(r.body.academy).toEqual({ ...E1_TOTALS, topics: 6, newMembers: 9, unansweredTopics: 3, contributors: '< 5', uniqueVisitors: '< 5' });
      expect(r.body.departments).toEqual([
        { code: '06', label: '06 — Alpes-Maritimes', ...E1_TOTALS, contributors: '< 5', newMembers: '< 5', uniqueVisitors: '< 5' },
        { code: '83', label: '83 — Var', ...E2, contributors: '< 5', newMembers: '< 5', uniqueVisitors: '< 5' },
      ]);
      expect(r.body.deployment.map((d: { uai: string }) => d.uai).sort()).toEqual([UAI, UAI_WITHOUT_SPACE, UAI_83].sort());
      const text = JSON.stringify(r.body);
      for (const who of Object.keys(PERSONAS) as Who[]) {
        expect(text).not.toContain(emails.get(who)!);
        expect(text).not.toContain(PERSONAS[who].displayName);
        expect(text).not.toContain(userId(who));
      }
      expect(text).not.toMatch(/@/);
      expect(text).not.toContain('Curie');
      expect(text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
    });

    it('defaults to the school year so far, and answers CSV', async () => {
      const r = await request(server()).get('/api/public/indicators').expect(200);
      expect(r.body).toMatchObject({ from: '2026-09-01', to: '2026-10-12', generatedAt: '2026-10-12T08:00:00.000Z' });
      const csv = await request(server()).get('/api/public/indicators?format=csv').expect(200);
      const text = csv.text;
      expect(text.charCodeAt(0)).toBe(0xfeff);
      expect(text).toContain('\r\nacademy;;Académie;6;4;< 5;9;1;1;1;4;< 5;3;2\r\n');
      expect(text).toContain('Déploiement PIX par établissement');
    });
  });

  describe('milestones', () => {
    it('records a milestone once: again is a 200 writing nothing', async () => {
      const before = await store.headPosition();
      const again = await as('chef').post(`/api/establishments/${UAI}/milestones`).send({ milestone: 'referent_designated', date: '2026-10-01' });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ id: UAI, recorded: false });
      expect(await written(before)).toEqual([]);
      const first = await write(as('chef').post(`/api/establishments/${UAI}/milestones`).send({ milestone: 'referent_trained_pix_certif' }));
      expect(first).toMatchObject({ id: UAI, recorded: true });
    });
  });

  describe('access, every cell', () => {
    type Cell = [Who | 'anonymous', number];
    const matrix = (cells: Cell[]) => cells;
    const cases: Array<[string, () => string, Cell[]]> = [
      [
        "a restricted space's figures",
        () => `/api/indicators/spaces/${ids.e1}`,
        matrix([['dane', 200], ['cmine', 200], ['inspecteur', 200], ['rrupn', 200], ['chef', 403], ['prof1', 403], ['reader3', 403], ['ian', 403], ['outsider', 403], ['rrupn83', 403], ['anonymous', 401]]),
      ],
      [
        "a private space's figures",
        () => `/api/indicators/spaces/${ids.e2}`,
        matrix([['dane', 200], ['rrupn83', 200], ['cmine', 404], ['inspecteur', 404], ['rrupn', 404], ['chef', 404], ['outsider', 404], ['anonymous', 401]]),
      ],
      [
        'the académie',
        () => '/api/indicators/academy',
        matrix([['dane', 200], ['cmine', 200], ['inspecteur', 200], ['ian', 403], ['rrupn', 403], ['chef', 403], ['prof1', 403], ['outsider', 403], ['anonymous', 401]]),
      ],
      [
        'an establishment',
        () => `/api/indicators/establishments/${UAI}`,
        matrix([['dane', 200], ['cmine', 200], ['inspecteur', 200], ['rrupn', 200], ['chef', 200], ['rrupn83', 403], ['prof1', 403], ['ian', 403], ['outsider', 403], ['anonymous', 401]]),
      ],
      ['dormant spaces', () => '/api/indicators/dormant-spaces', matrix([['dane', 200], ['rrupn', 200], ['outsider', 200], ['anonymous', 401]])],
      [
        "the académie's fiches per competence",
        () => '/api/indicators/pix-competences',
        matrix([['dane', 200], ['cmine', 200], ['inspecteur', 200], ['rrupn', 403], ['prof1', 403], ['anonymous', 401]]),
      ],
      [
        "a space's fiches per competence",
        () => `/api/indicators/pix-competences?spaceId=${ids.e1}`,
        matrix([['rrupn', 200], ['cmine', 200], ['chef', 403], ['prof1', 403], ['outsider', 403]]),
      ],
      ['the deployment table', () => '/api/indicators/pix-deployment', matrix([['dane', 200], ['outsider', 200], ['anonymous', 401]])],
      [
        "the events behind a restricted space's figure",
        () => `/api/indicators/explain?indicator=space&key=${ids.e1}&field=topics&period=2026-10-05`,
        matrix([['dane', 200], ['rrupn', 200], ['cmine', 403], ['inspecteur', 403], ['chef', 403], ['prof1', 403], ['outsider', 403], ['anonymous', 401]]),
      ],
      [
        "the events behind a private space's figure",
        () => `/api/indicators/explain?indicator=space&key=${ids.e2}&field=newMembers&period=2026-10-05`,
        matrix([['dane', 200], ['rrupn83', 200], ['cmine', 404], ['rrupn', 404]]),
      ],
      [
        "the events behind the académie's figure",
        () => '/api/indicators/explain?indicator=academy&field=topics&period=2026-10-05',
        matrix([['dane', 200], ['cmine', 403], ['inspecteur', 403], ['rrupn', 403], ['anonymous', 401]]),
      ],
      [
        "the events behind a public space's figure, by kind",
        () => '/api/indicators/explain?indicator=kind&key=thematic&field=newMembers&period=2026-10-05',
        matrix([['dane', 200], ['cmine', 200], ['inspecteur', 200], ['teacher', 403]]),
      ],
      ['the public page', () => '/api/public/indicators', matrix([['anonymous', 200], ['outsider', 200]])],
    ];
    it.each(cases)('%s', async (_name, url, cells) => {
      const seen = [];
      for (const [who] of cells) seen.push([who, (await get(who, url())).status]);
      expect(seen).toEqual(cells);
    });

    it('the milestones of an establishment: its rrupn and chef, the dane; nobody else', async () => {
      const post = (who: Who | 'anonymous', uai: string, milestone: string) =>
        (who === 'anonymous' ? request(server()) : as(who)).post(`/api/establishments/${uai}/milestones`).send({ milestone });
      await refused(403, () => post('rrupn83', UAI, 'pix_certif_activated'));
      await refused(403, () => post('prof1', UAI, 'pix_certif_activated'));
      await refused(403, () => post('cmine', UAI, 'pix_certif_activated'));
      await refused(403, () => post('rrupn', UAI_83, 'pix_certif_activated'));
      await refused(401, () => post('anonymous', UAI, 'pix_certif_activated'));
      expect(await write(post('rrupn83', UAI_83, 'pix_certif_activated'))).toMatchObject({ id: UAI_83, recorded: true });
    });
  });

  describe('bad input: a problem naming the field, nothing recorded', () => {
    it.each([
      ['from after to', `/api/indicators/academy?from=2026-10-12&to=2026-10-05`, ['from']],
      ['a span over 5 years', `/api/indicators/academy?from=2020-01-01&to=2026-01-01`, ['to']],
      ['a day that does not exist', `/api/indicators/academy?from=2026-02-30`, ['from']],
      ['an unknown groupBy', `/api/indicators/academy?groupBy=region`, ['groupBy']],
      ['an unknown granularity', () => `/api/indicators/spaces/${ids.e1}?granularity=year`, ['granularity']],
      ['an unknown field', () => `/api/indicators/explain?indicator=space&key=${ids.e1}&field=likes&period=2026-10-05`, ['field']],
      ['an unknown indicator', `/api/indicators/explain?indicator=region&field=topics&period=2026-10-05`, ['indicator']],
      ['a period that is not a week start', () => `/api/indicators/explain?indicator=space&key=${ids.e1}&field=topics&period=2026-10-06&granularity=week`, ['period']],
      ['an explain without period', () => `/api/indicators/explain?indicator=space&key=${ids.e1}&field=topics`, ['period']],
      ['a malformed UAI', `/api/indicators/establishments/12345`, ['uai']],
      ['a malformed UAI as key', `/api/indicators/explain?indicator=establishment&key=12345&field=topics&period=2026-10-05`, ['key']],
      ['an unknown format', `/api/indicators/academy?format=xlsx`, ['format']],
      ['days out of range', `/api/indicators/dormant-spaces?days=0`, ['days']],
      ['an unknown parameter', `/api/indicators/academy?sort=desc`, ['sort']],
      ['a bad cursor', () => `/api/indicators/explain?indicator=space&key=${ids.e1}&field=topics&period=2026-10-05&cursor=abc`, ['cursor']],
    ] as Array<[string, string | (() => string), string[]]>)('%s', async (_name, url, fields) => {
      await refused(400, () => get('dane', typeof url === 'string' ? url : url()), fields);
    });

    it.each([
      ['an unknown milestone', UAI, { milestone: 'pix_installed' }, ['milestone']],
      ['space_opened, which the space creation records', UAI, { milestone: 'space_opened' }, ['milestone']],
      ['a date in the future', UAI, { milestone: 'pix_certif_activated', date: '2026-10-13' }, ['date']],
      ['a malformed date', UAI, { milestone: 'pix_certif_activated', date: '12/10/2026' }, ['date']],
      ['a malformed UAI', '006123', { milestone: 'pix_certif_activated' }, ['uai']],
      ['no milestone', UAI, {}, ['milestone']],
    ])('a milestone with %s', async (_name, uai, payload, fields) => {
      await refused(400, () => as('dane').post(`/api/establishments/${uai}/milestones`).send(payload), fields);
    });

    it('a second establishment space for a UAI is 409, whoever asks', async () => {
      const second = { name: 'Autre espace du collège', kind: 'establishment', visibility: 'public', uai: UAI.toLowerCase() };
      const r = await refused(409, () => as('chef').post('/api/spaces').send(second));
      expect(r.body).toMatchObject({ uai: UAI });
      await refused(409, () => as('dane').post('/api/spaces').send(second));
      // Refused input is refused before the UAI is claimed: a new UAI stays free.
      await refused(403, () => as('rrupn').post('/api/spaces').send({ ...second, uai: '0061111A' }));
      expect(await write(as('dane').post('/api/spaces').send({ ...second, uai: '0061111A' }))).toMatchObject({ id: expect.any(String) });
    });
  });
});

describe.each(kinds)('the public page of the demo académie (%s)', (kind: StoreKind) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(kind);
    await seedDemoAcademy(t.app);
  }, 120_000);
  afterAll(() => t?.close());

  it('says nothing about anyone: no e-mail, name or user id in the whole body, people under 5 masked', async () => {
    const head = await t.store.headPosition();
    const r = await t.anonymous().get('/api/public/indicators').set('X-Min-Position', String(head));
    expect(r.status).toBe(200);
    const text = JSON.stringify(r.body);
    // Every user of the log, personas and the people they invited, by id, e-mail and name.
    const users = (await t.store.readAll({ maxCount: 100_000 })).filter((e) => e.type === 'UserRegistered');
    expect(users.length).toBeGreaterThanOrEqual(DEMO_PERSONAS.length);
    for (const user of users) {
      const data = user.data as { userId: string; email: string; displayName?: string };
      expect(text).not.toContain(data.userId);
      expect(text).not.toContain(data.email);
      if (data.displayName) expect(text).not.toContain(data.displayName);
    }
    for (const persona of DEMO_PERSONAS) expect(text).not.toContain(persona.displayName);
    expect(text).not.toMatch(/@/);
    for (const spaceId of Object.values(DEMO_SPACES)) expect(text).not.toContain(spaceId);
    // The private lycée is in the deployment table by its UAI only.
    expect(text).not.toContain('Curie');
    expect(r.body.deployment).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ uai: '0061234X', name: 'Collège Jean Moulin — Nice', milestones: expect.objectContaining({ space_opened: expect.any(String) }) }),
        expect.objectContaining({ uai: '0830042K', name: 'Établissement 0830042K' }),
      ]),
    );
    // The demo is small: every count of people it has is under 5.
    const people = [r.body.academy, ...r.body.departments].flatMap((f: Record<string, unknown>) => [f.contributors, f.uniqueVisitors, f.newMembers]);
    expect(people.length).toBeGreaterThan(3);
    for (const count of people) expect(count === '< 5' || (typeof count === 'number' && count >= 5)).toBe(true);
    expect(people).toContain('< 5');
    expect(r.body.departments.map((d: { code: string }) => d.code)).toEqual(['06', '83']);
  });
});
