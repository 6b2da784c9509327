import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Jest globalSetup of the int and e2e projects: tests that run compiled code from dist/ (crash
 * fixtures in child processes, `node dist/apps/api/src/main.js`) find it built, once per run,
 * instead of each test file building by itself. It builds only when a source is newer than the
 * last build, and under a lock, since several jest runs may share the working tree.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
/** What `npm run build` compiles (package.json's "build" script), and the script itself. */
export const BUILD_INPUTS = ['apps/api/src', 'libs', 'seeds', 'test/bench', 'package.json'];
const STAMP = 'dist/.build-stamp';
const LOCK = 'dist/.build-lock';
const LOCK_STALE_MS = 120_000;
const LOCK_WAIT_MS = 180_000;

/** Newest modification time (ms) among the build's inputs under `root`. */
export function newestInputTime(root: string, inputs: readonly string[] = BUILD_INPUTS): number {
  let newest = 0;
  const visit = (file: string): void => {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (!stat) return;
    newest = Math.max(newest, stat.mtimeMs);
    if (!stat.isDirectory()) return;
    for (const entry of fs.readdirSync(file)) {
      if (entry !== 'node_modules') visit(path.join(file, entry));
    }
  };
  for (const input of inputs) visit(path.join(root, input));
  return newest;
}

/** dist/ is fresh when the last build started after every input's last change. */
export function isBuildFresh(root: string, inputs: readonly string[] = BUILD_INPUTS): boolean {
  const stamp = fs.statSync(path.join(root, STAMP), { throwIfNoEntry: false });
  return stamp !== undefined && newestInputTime(root, inputs) < stamp.mtimeMs;
}

/** Builds dist/ under `root` unless it is fresh; returns whether it built. */
export async function buildOnce(root: string, build: () => void, inputs: readonly string[] = BUILD_INPUTS): Promise<boolean> {
  if (isBuildFresh(root, inputs)) return false;
  fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
  const release = await acquireLock(path.join(root, LOCK));
  try {
    // Another run may have built while this one waited for the lock.
    if (isBuildFresh(root, inputs)) return false;
    const startedAt = new Date();
    build();
    // The stamp carries the build's start time: a source saved during the build is newer.
    const stamp = path.join(root, STAMP);
    fs.writeFileSync(stamp, '');
    fs.utimesSync(stamp, startedAt, startedAt);
    return true;
  } finally {
    release();
  }
}

async function acquireLock(lock: string): Promise<() => void> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      return () => fs.rmSync(lock, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const held = fs.statSync(lock, { throwIfNoEntry: false });
    // A lock left by a killed run would block every later one.
    if (held && Date.now() - held.mtimeMs > LOCK_STALE_MS) fs.rmSync(lock, { recursive: true, force: true });
    if (Date.now() > deadline) throw new Error(`waited ${LOCK_WAIT_MS} ms for ${lock}: another build seems stuck`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export default async function globalBuild(): Promise<void> {
  await buildOnce(ROOT, () => {
    try {
      execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'pipe' });
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
      throw new Error(`npm run build failed before the tests:\n${stdout?.toString() ?? ''}${stderr?.toString() ?? ''}`);
    }
  });
}
