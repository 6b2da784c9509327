import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import pg from 'pg';
import request from 'supertest';
import { postgresService, testDatabaseUrl, uniqueSchema } from '#ruche/eventstore/testing';
import type { EventStore } from '#ruche/eventstore';
import { EVENT_STORE } from '#ruche/platform';
import { loadConfiguration, type RucheConfig } from '../../../apps/api/src/config/configuration.js';
import { createApp } from '../../../apps/api/src/bootstrap.js';
import type { AppOptions } from '../../../apps/api/src/app.module.js';
import { redisReachable, redisUrl, RoundRobinProxy, ServerProcess, type BackendCount } from './processes.js';

export type StoreKind = 'sqlite' | 'postgres';

/**
 * E2E_PROCESSES=2 (`npm run test:e2e:cluster`): every PostgreSQL test app is two API processes
 * (this one, and the built server as a child) on one schema and one Redis, behind a round-robin
 * proxy; SQLite is single-process by design and is left out of storeKinds().
 */
export const e2eProcesses = parseProcesses(process.env.E2E_PROCESSES);

function parseProcesses(raw: string | undefined): number {
  if (raw === undefined || raw === '' || raw === '1') return 1;
  if (raw === '2') return 2;
  throw new Error(`E2E_PROCESSES must be 1 or 2 (got "${raw}")`);
}

export interface TestApp {
  kind: StoreKind;
  /** The in-process app (process A when there are two). */
  app: INestApplication;
  config: RucheConfig;
  store: EventStore;
  /** How many API processes answer this app's clients. */
  processes: number;
  /** With two processes: what the proxy sent to each (process A first). */
  backends?: readonly BackendCount[];
  /** A fresh cookie-keeping client, signed in as the given user (created on first use). */
  signIn(email: string, claims?: { displayName?: string; roles?: string[]; uai?: string }): Promise<SignedInClient>;
  anonymous(): request.Agent;
  /** A URL for clients of their own (sockets, fetch): the proxy, or the in-process app listening on loopback. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export interface SignedInClient {
  agent: request.Agent;
  id: string;
  email: string;
}

export interface TestAppOptions extends AppOptions {
  /**
   * Why this app must be one process even under E2E_PROCESSES=2 (it injects something a child
   * process cannot get, or looks into the process). Required there with AppOptions.
   */
  singleProcess?: string;
  /** Two processes whatever E2E_PROCESSES says (PostgreSQL only): the tests of the cluster mode itself. */
  processes?: 1 | 2;
}

/**
 * The stores the e2e suites run against: SQLite always, PostgreSQL when reachable; only
 * PostgreSQL with E2E_PROCESSES=2, which then needs PostgreSQL and Redis.
 */
export async function storeKinds(): Promise<StoreKind[]> {
  const postgres = await postgresService();
  if (e2eProcesses > 1) {
    if (!postgres.available || !(await redisReachable('the two-process e2e run'))) {
      throw new Error('E2E_PROCESSES=2 needs PostgreSQL and Redis (npm run test:e2e:cluster checks them first)');
    }
    return ['postgres'];
  }
  return postgres.available ? ['sqlite', 'postgres'] : ['sqlite'];
}

/**
 * Boots the whole API on a fresh SQLite file or a fresh PostgreSQL schema; `env` adds or overrides
 * variables. On PostgreSQL under E2E_PROCESSES=2 (or with `processes: 2`), a second process, the
 * built server with the same variables, joins it through Redis, and clients go through a proxy
 * that alternates between the two; `app` and `store` stay the in-process one's.
 */
export async function startTestApp(kind: StoreKind, env: Record<string, string> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const { singleProcess, processes: forced, ...appOptions } = options;
  const processes = kind === 'postgres' && !singleProcess ? (forced ?? e2eProcesses) : 1;
  if (processes > 1 && Object.keys(appOptions).length > 0) {
    throw new Error(`AppOptions (${Object.keys(appOptions).join(', ')}) cannot reach a child process: pass singleProcess with the reason`);
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ruche-e2e-'));
  const schema = uniqueSchema('e2e');
  const variables: Record<string, string> = {
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    SEED: 'none',
    ...(kind === 'postgres' ? { DATABASE_URL: testDatabaseUrl, DATABASE_SCHEMA: schema } : {}),
    ...(processes > 1 ? { REDIS_URL: redisUrl } : {}),
    ...env,
  };
  const config = loadConfiguration(variables);
  const app = await createApp(config, appOptions);
  let other: ServerProcess | undefined;
  let proxy: RoundRobinProxy | undefined;
  const dropSchema = async () => {
    if (kind !== 'postgres') return;
    const client = new pg.Client({ connectionString: testDatabaseUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  };
  try {
    await app.init();
    if (processes > 1) {
      await app.listen(0, '127.0.0.1');
      // After this one has made the tables; same variables, and the public URL this one derived.
      other = await ServerProcess.start({ ...variables, PUBLIC_URL: config.publicUrl }, 'API process B');
      proxy = await RoundRobinProxy.start([urlOf(app), other.url]);
    }
  } catch (error) {
    await Promise.allSettled([app.close(), other?.stop()]);
    await dropSchema().catch(() => undefined);
    throw error;
  }
  const server = app.getHttpServer();
  const target = proxy?.url ?? server;
  const store = app.get<EventStore>(EVENT_STORE);
  return {
    kind,
    app,
    config,
    store,
    processes,
    ...(proxy ? { backends: proxy.counts } : {}),
    anonymous: () => request.agent(target),
    async signIn(email, claims = {}) {
      const agent = request.agent(target);
      const response = await agent.post('/api/auth/dev-login').send({ email, ...claims });
      if (response.status !== 200) throw new Error(`sign-in of ${email} failed: ${response.status} ${JSON.stringify(response.body)}`);
      return { agent, id: response.body.id as string, email };
    },
    async listen() {
      if (proxy) return proxy.url;
      if (!server.listening) await app.listen(0, '127.0.0.1');
      return urlOf(app);
    },
    async close() {
      await proxy?.close();
      await Promise.all([app.close(), other?.stop()]);
      fs.rmSync(dataDir, { recursive: true, force: true });
      await dropSchema();
      if (other?.diedWith) throw new Error(`API process B died during the tests (${other.diedWith}):\n${other.output()}`);
      // Everything on one process would prove nothing about the other.
      if (proxy && proxy.counts.reduce((sum, c) => sum + c.requests, 0) > 1 && proxy.counts.some((c) => c.requests === 0)) {
        throw new Error(`the proxy did not spread the requests: ${JSON.stringify(proxy.counts)}`);
      }
    },
  };
}

function urlOf(app: INestApplication): string {
  return `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
}

let counter = 0;
/** A unique e-mail per call, so tests never share users by accident. */
export function freshEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}.${Date.now().toString(36)}${counter}@ac-test.fr`;
}
