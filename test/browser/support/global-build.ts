import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

// Jest loads a globalSetup as CommonJS without the projects' module mapping: require the shared
// build helper by its source file.
const { BUILD_INPUTS, buildOnce } = createRequire(import.meta.url)('../../support/global-build.ts') as typeof import('../../support/global-build.js');

const ROOT = path.resolve(import.meta.dirname, '../../..');

/** The browser tests run the built server and web app: build both once, when a source changed. */
export default async function browserBuild(): Promise<void> {
  await buildOnce(
    ROOT,
    () => {
      try {
        execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'pipe' });
      } catch (error) {
        const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
        throw new Error(`npm run build failed before the browser tests:\n${stdout?.toString() ?? ''}${stderr?.toString() ?? ''}`);
      }
    },
    [...BUILD_INPUTS, 'apps/web'],
  );
}
