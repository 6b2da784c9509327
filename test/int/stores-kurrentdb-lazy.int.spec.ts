import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * The KurrentDB client (gRPC, ~0.3 s to load) is loaded only when KURRENTDB_URL asks for it:
 * importing the event-store library and opening the embedded store leave it out; a KurrentDB
 * configuration loads it (the connection itself then fails: no server runs here).
 */
const root = path.resolve('.');

function loadedKurrent(kurrentDbUrl: string | undefined): { loaded: boolean; output: string } {
  const script = `
    import { createRequire } from 'node:module';
    import os from 'node:os';
    import fs from 'node:fs';
    import path from 'node:path';
    const require = createRequire(import.meta.url);
    const { loadConfiguration } = await import('${root}/dist/apps/api/src/config/configuration.js');
    const { openEventStore } = await import('${root}/dist/apps/api/src/infrastructure/stores.js');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ruche-lazy-'));
    const env = { NODE_ENV: 'test', DATA_DIR: dir, ${kurrentDbUrl ? `KURRENTDB_URL: '${kurrentDbUrl}'` : ''} };
    try {
      const store = await openEventStore(loadConfiguration(env));
      await store.close();
    } catch (error) {
      console.log('open failed: ' + error.message.split('\\n')[0]);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    console.log('kurrent loaded: ' + Object.keys(require.cache).some((file) => file.includes('@kurrent')));
  `;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  const output = `${result.stdout}${result.stderr}`;
  return { loaded: /kurrent loaded: true/.test(output), output };
}

describe('the KurrentDB client', () => {
  it('is not loaded for the embedded store', () => {
    const { loaded, output } = loadedKurrent(undefined);
    expect(output).toContain('kurrent loaded: false');
    expect(loaded).toBe(false);
  });

  it('is loaded when KURRENTDB_URL is set', () => {
    const { loaded, output } = loadedKurrent('kurrentdb://127.0.0.1:1?tls=false');
    expect(output).toContain('open failed');
    expect(loaded).toBe(true);
  });
});
