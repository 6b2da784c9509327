import fc from 'fast-check';
import request from 'supertest';
import type { OpenAPIObject, ParameterObject, ResponseObject } from '@nestjs/swagger';
import { PROJECTION_RUNNER, type PositionWaiter } from '#ruche/platform';
import {
  describeRequest,
  enumsByName,
  IdPool,
  isCommand,
  operationsOf,
  requestFor,
  type FuzzContext,
  type FuzzRequest,
  type HttpMethod,
  type Operation,
} from './support/openapi-fuzz.js';
import { freshEmail, startTestApp, storeKinds, type SignedInClient, type TestApp } from './support/test-app.js';

/**
 * Issue #6, point 6: hostile input on every operation the running app documents, so that an
 * endpoint is fuzzed the day it appears. Whatever comes in, the answer is below 500, every error
 * is a problem document, a refused command writes nothing to the event log, and what was
 * accepted leaves every projection able to reach the head of the log.
 *
 * Random on each run: a failure prints fast-check's seed; FUZZ_SEED=<seed> replays it,
 * FUZZ_BUDGET=<requests per store> digs longer, FUZZ_REPORT=1 prints the statuses met.
 */

const kinds = await storeKinds();
// One app per store for the whole file: the first one also serves the document the tests are built from.
// One process: this checks the app's own answers to oversized and malformed requests, which a
// proxy in front of several processes would give (or cut) itself.
const oneProcess = { singleProcess: "checks the app's own answers to what a proxy would refuse itself" };
const firstApp = await startTestApp(kinds[0]!, {}, oneProcess);
const document = (await request(firstApp.app.getHttpServer()).get('/api/docs/openapi.json').expect(200)).body as OpenAPIObject;
const operations = operationsOf(document);

/** Requests per store, shared among the operations so the file stays well under a minute per store. */
const BUDGET = Number(process.env.FUZZ_BUDGET ?? 1200);
const RUNS = Math.max(12, Math.min(60, Math.floor(BUDGET / Math.max(1, operations.length))));
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const PROBLEM_STATUSES = ['400', '401', '403', '404', '409', '413', '422', '429'];

describe('the OpenAPI document', () => {
  it('lists the operations the fuzz drives', () => {
    expect(operations.map((o) => `${o.method} ${o.path}`)).toEqual(expect.arrayContaining(['post /api/auth/dev-login', 'get /api/spaces/{id}', 'delete /api/spaces/{id}/members/{userId}']));
  });

  it('declares every path parameter of every path, ids as UUIDs', () => {
    const missing: string[] = [];
    for (const op of operations) {
      const params = (op.operation.parameters ?? []) as ParameterObject[];
      for (const name of op.pathParams) {
        const declared = params.find((p) => p.in === 'path' && p.name === name);
        if (!declared || declared.required !== true || (declared.schema as { type?: string } | undefined)?.type !== 'string') missing.push(`${op.method} ${op.path} {${name}}`);
        else if ((name === 'id' || name.endsWith('Id')) && (declared.schema as { format?: string }).format !== 'uuid') missing.push(`${op.method} ${op.path} {${name}} as uuid`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('gives every operation its problem answers, with the shared ProblemDetails schema', () => {
    expect(document.components?.schemas?.ProblemDetails).toMatchObject({ type: 'object', required: ['type', 'title', 'status', 'detail'] });
    const missing: string[] = [];
    for (const op of operations) {
      const statuses = op.bodySchema ? [...PROBLEM_STATUSES, '415'] : PROBLEM_STATUSES;
      for (const status of statuses) {
        const answer = op.operation.responses[status] as ResponseObject | undefined;
        const schema = answer?.content?.['application/problem+json']?.schema;
        if (!answer?.description || (schema as { $ref?: string } | undefined)?.$ref !== '#/components/schemas/ProblemDetails') missing.push(`${op.method} ${op.path} ${status}`);
      }
      if (Object.keys(op.operation.responses).every((code) => !code.startsWith('2'))) missing.push(`${op.method} ${op.path} has no success answer`);
    }
    expect(missing).toEqual([]);
  });
});

type Caller = 'owner' | 'member' | 'anonymous';

describe.each(kinds)('hostile input on every operation (%s)', (kind) => {
  let t: TestApp;
  const clients = new Map<'owner' | 'member', SignedInClient>();
  const claims = { owner: { displayName: 'Délégation fuzz', roles: ['dane'] }, member: { displayName: 'Prof fuzz', roles: ['enseignant'] } };
  const emails = { owner: freshEmail('fuzz.owner'), member: freshEmail('fuzz.member') };
  const spaceIds: string[] = [];
  const context: FuzzContext = { ids: new IdPool(), enums: enumsByName(document) };

  const signIn = async (who: 'owner' | 'member') => {
    const client = await t.signIn(emails[who], claims[who]);
    clients.set(who, client);
    context.ids.add('users', client.id);
    return client;
  };

  beforeAll(async () => {
    t = kind === kinds[0] ? firstApp : await startTestApp(kind, {}, oneProcess);
    const owner = await signIn('owner');
    const member = await signIn('member');
    for (const visibility of ['public', 'restricted', 'private']) {
      const created = await owner.agent.post('/api/spaces').send({ name: `Fuzz ${visibility}`, kind: 'thematic', visibility }).expect(201);
      spaceIds.push(created.body.id);
      context.ids.add('spaces', created.body.id);
    }
    await member.agent.post(`/api/spaces/${spaceIds[0]}/join`).expect(200);
    // A pending join request, so that approve and reject can meet a real one.
    await member.agent.post(`/api/spaces/${spaceIds[1]}/join`).expect(200);
  }, 30_000);
  afterAll(() => t?.close());

  const send = (who: Caller, method: HttpMethod, sent: FuzzRequest) => {
    const agent = who === 'anonymous' ? request(t.app.getHttpServer()) : clients.get(who)!.agent;
    let call = agent[method](sent.url);
    for (const [name, value] of Object.entries(sent.headers)) call = call.set(name, value);
    // Parsing is ours to do: the answer is checked as text, whatever its content type claims.
    call = call.buffer(true).parse((res, done) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => done(null, text));
    });
    return sent.body === undefined ? call : call.send(sent.body);
  };

  /** Per operation, `<caller initial><status>` → how many times: FUZZ_REPORT shows how deep the fuzz went. */
  const statuses = new Map<string, Map<string, number>>();
  afterAll(() => {
    if (!process.env.FUZZ_REPORT) return;
    const lines = [...statuses].map(([op, counts]) => `${op.padEnd(56)} ${[...counts].sort().map(([k, n]) => `${k}×${n}`).join(' ')}`);
    console.log(`statuses met (${kind}, ${RUNS} runs per operation)\n${lines.join('\n')}`);
  });

  it.each(operations.map((op) => [`${op.method.toUpperCase()} ${op.path}`, op] as const))('%s', async (name, op: Operation) => {
    const counts = new Map<string, number>();
    statuses.set(name, counts);
    let signedInAndHeard = false;
    const callers = fc.constantFrom<Caller>('owner', 'owner', 'member', 'anonymous');
    await fc.assert(
      fc.asyncProperty(requestFor(op, context), callers, async (sent, caller) => {
        const before = await t.store.headPosition();
        const response = await send(caller, op.method, sent);
        const where = `${caller}: ${describeRequest(op.method, sent)}\n→ ${response.status} ${response.headers['content-type']} ${String(response.body).slice(0, 500)}`;
        // A sign-in or a logout changed the caller's session: start the next request from a fresh one.
        if (response.headers['set-cookie'] && caller !== 'anonymous') await signIn(caller);
        if (caller !== 'anonymous' && response.status !== 401) signedInAndHeard = true;
        counts.set(`${caller[0]}${response.status}`, (counts.get(`${caller[0]}${response.status}`) ?? 0) + 1);

        if (response.status >= 500) throw new Error(`server error\n${where}`);
        if (response.status >= 400) {
          if (!/^application\/problem\+json/.test(String(response.headers['content-type']))) throw new Error(`not a problem document\n${where}`);
          const problem = JSON.parse(String(response.body)) as Record<string, unknown>;
          const shaped = typeof problem.type === 'string' && typeof problem.title === 'string' && problem.status === response.status && typeof problem.detail === 'string';
          if (!shaped) throw new Error(`problem without { type, title, status, detail }\n${where}`);
          if (isCommand(op.method) && (await t.store.headPosition()) !== before) throw new Error(`a refused command wrote to the event log\n${where}`);
        } else if (/json/.test(String(response.headers['content-type']))) {
          context.ids.harvest(op.path, JSON.parse(String(response.body)));
        }
      }),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
    // Signed-in callers got past authentication at least once, so the fuzz reached the operation itself.
    expect(signedInAndHeard).toBe(true);
    // What was accepted must not poison the read models: each projection still reaches the head.
    const head = await t.store.headPosition();
    expect(await t.app.get<PositionWaiter>(PROJECTION_RUNNER).waitForPosition(head, 10_000)).toBe(true);
  }, 60_000);

  const owner = () => clients.get('owner')!.agent;
  const json = (call: request.Test, body: string) => call.set('Content-Type', 'application/json').send(body);
  // What the fuzz found once, kept as plain cases: [what, request, status, the field the problem names].
  it.each([
    ['a malformed escape in the path', () => owner().get('/api/spaces/%E0%A4%A'), 400, undefined],
    ['a 100,000-character path', () => owner().get(`/api/spaces/${'a'.repeat(100_000)}`), 431, undefined],
    ['an unsupported charset', () => owner().post('/api/spaces').set('Content-Type', 'application/json; charset=iso-8859-1').send('{}'), 415, undefined],
    ['100,000 nested arrays', () => json(owner().post('/api/spaces'), `${'['.repeat(100_000)}${']'.repeat(100_000)}`), 400, undefined],
    ['40 nested objects in a field', () => json(owner().post('/api/spaces'), `{"name":${'{"a":'.repeat(40)}1${'}'.repeat(40)}}`), 400, 'name'],
    ['prototype keys', () => json(owner().patch(`/api/spaces/${spaceIds[0]}`), '{"__proto__": {"name": "x"}, "constructor": {"prototype": {"admin": true}}}'), 400, '__proto__'],
    ['a constructor key in a query', () => owner().get('/api/spaces?constructor=x'), 400, 'constructor'],
    ['a NUL in a name', () => owner().post('/api/spaces').send({ name: 'a\u0000b', kind: 'thematic', visibility: 'public' }), 400, 'name'],
    ['a NUL in a search', () => owner().get('/api/spaces?q=a%00b'), 400, 'q'],
    ['a lone surrogate in an e-mail', () => json(request(t.app.getHttpServer()).post('/api/auth/dev-login'), '{"email":"a\\ud83d@ac-test.fr"}'), 400, 'email'],
    ['a lone surrogate in a role', () => owner().post(`/api/spaces/${spaceIds[0]}/members`).send({ email: 'x@ac-test.fr', role: 'reader\udfff' }), 400, 'role'],
  ] as const)('answers a problem and writes nothing for %s', async (_name, call, status, field) => {
    const before = await t.store.headPosition();
    const response = await call();
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = JSON.parse(response.text);
    expect(problem).toMatchObject({ type: expect.any(String), title: expect.any(String), status: response.status, detail: expect.any(String) });
    if (field) expect(problem.errors).toEqual([{ field, message: expect.any(String) }]);
    expect(await t.store.headPosition()).toBe(before);
  });
});
