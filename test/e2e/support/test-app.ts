import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import pg from 'pg';
import request from 'supertest';
import { postgresService, testDatabaseUrl, uniqueSchema } from '#ruche/eventstore/testing';
import type { EventStore } from '#ruche/eventstore';
import { EVENT_STORE } from '#ruche/platform';
import { loadConfiguration, type RucheConfig } from '../../../apps/api/src/config/configuration.js';
import { createApp } from '../../../apps/api/src/bootstrap.js';
import type { AppOptions } from '../../../apps/api/src/app.module.js';

export type StoreKind = 'sqlite' | 'postgres';

export interface TestApp {
  kind: StoreKind;
  app: INestApplication;
  config: RucheConfig;
  store: EventStore;
  /** A fresh cookie-keeping client, signed in as the given user (created on first use). */
  signIn(email: string, claims?: { displayName?: string; roles?: string[]; uai?: string }): Promise<SignedInClient>;
  anonymous(): request.Agent;
  close(): Promise<void>;
}

export interface SignedInClient {
  agent: request.Agent;
  id: string;
  email: string;
}

/** The stores the e2e suites run against: SQLite always, PostgreSQL when reachable. */
export async function storeKinds(): Promise<StoreKind[]> {
  const postgres = await postgresService();
  return postgres.available ? ['sqlite', 'postgres'] : ['sqlite'];
}

/** Boots the whole API on a fresh SQLite file or a fresh PostgreSQL schema; `env` adds or overrides variables. */
export async function startTestApp(kind: StoreKind, env: Record<string, string> = {}, options: AppOptions = {}): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ruche-e2e-'));
  const schema = uniqueSchema('e2e');
  const config = loadConfiguration({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    SEED: 'none',
    ...(kind === 'postgres' ? { DATABASE_URL: testDatabaseUrl, DATABASE_SCHEMA: schema } : {}),
    ...env,
  });
  const app = await createApp(config, options);
  await app.init();
  const server = app.getHttpServer();
  const store = app.get<EventStore>(EVENT_STORE);
  return {
    kind,
    app,
    config,
    store,
    anonymous: () => request.agent(server),
    async signIn(email, claims = {}) {
      const agent = request.agent(server);
      const response = await agent.post('/api/auth/dev-login').send({ email, ...claims });
      if (response.status !== 200) throw new Error(`sign-in of ${email} failed: ${response.status} ${JSON.stringify(response.body)}`);
      return { agent, id: response.body.id as string, email };
    },
    async close() {
      await app.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
      if (kind === 'postgres') {
        const client = new pg.Client({ connectionString: testDatabaseUrl });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await client.end();
      }
    },
  };
}

let counter = 0;
/** A unique e-mail per call, so tests never share users by accident. */
export function freshEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}.${Date.now().toString(36)}${counter}@ac-test.fr`;
}
