import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildOnce, isBuildFresh } from './global-build.js';

describe('the build made once before the int and e2e tests', () => {
  let root: string;
  let builds: number;
  const build = (): void => {
    builds += 1;
    fs.writeFileSync(path.join(root, 'dist', 'out.js'), String(builds));
  };
  const inputs = ['libs', 'package.json'];
  /** Sets a file's modification time `secondsFromNow` away, as an edit then would. */
  const touch = (file: string, secondsFromNow: number): void => {
    const when = new Date(Date.now() + secondsFromNow * 1000);
    fs.utimesSync(path.join(root, file), when, when);
  };

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ruche-global-build-'));
    fs.mkdirSync(path.join(root, 'libs', 'a', 'src'), { recursive: true });
    fs.writeFileSync(path.join(root, 'libs', 'a', 'src', 'a.ts'), 'export const a = 1;');
    fs.writeFileSync(path.join(root, 'package.json'), '{}');
    for (const file of ['libs/a/src/a.ts', 'libs/a/src', 'libs/a', 'libs', 'package.json']) touch(file, -60);
    builds = 0;
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('builds when dist/ was never built, then not again while no source changes', async () => {
    expect(isBuildFresh(root, inputs)).toBe(false);
    expect(await buildOnce(root, build, inputs)).toBe(true);
    expect(await buildOnce(root, build, inputs)).toBe(false);
    expect(builds).toBe(1);
    expect(fs.existsSync(path.join(root, 'dist', '.build-lock'))).toBe(false);
  });

  it.each(['libs/a/src/a.ts', 'package.json'])('builds again once %s is newer than the last build', async (file) => {
    await buildOnce(root, build, inputs);
    touch(file, 5);
    expect(await buildOnce(root, build, inputs)).toBe(true);
    expect(builds).toBe(2);
  });

  it('builds again when a source is added', async () => {
    await buildOnce(root, build, inputs);
    fs.writeFileSync(path.join(root, 'libs', 'a', 'src', 'b.ts'), 'export const b = 2;');
    touch('libs/a/src/b.ts', 5);
    expect(isBuildFresh(root, inputs)).toBe(false);
  });

  it('builds once when two runs ask at the same time', async () => {
    await Promise.all([buildOnce(root, build, inputs), buildOnce(root, build, inputs)]);
    expect(builds).toBe(1);
  });

  it('leaves dist/ stale and the lock free when the build fails', async () => {
    await expect(
      buildOnce(root, () => {
        throw new Error('syntax error in a.ts');
      }, inputs),
    ).rejects.toThrow('syntax error');
    expect(isBuildFresh(root, inputs)).toBe(false);
    expect(await buildOnce(root, build, inputs)).toBe(true);
  });
});
