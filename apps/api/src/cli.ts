import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import cliProgress from 'cli-progress';
import type { ProjectionRunner } from '#ruche/projections';
import { PROJECTION_RUNNER } from '#ruche/platform';
import { AppModule } from './app.module.js';
import { ConfigurationError, loadConfiguration, type RucheConfig } from './config/configuration.js';
import { exportEvents, exportEventsToFile, type ExportProgress } from './export/export-events.js';
import { importEvents, ImportRefusedError } from './import/import-events.js';
import { openEventStore } from './infrastructure/stores.js';

const USAGE = `Usage: npm run ruche -- <command>

  projections status            each projection's position, lag and state
  projections rebuild [name]    rebuild one projection (default: all, in one pass) from position 0, while the
                                service keeps answering from the old tables
  projections retry <name>      let a failed projection go on from its checkpoint
  events export [file]          write the event log as JSON lines (to stdout without a file)
  events import <file>          read an export into this empty store, then rebuild every projection`;

async function main(argv: string[]): Promise<number> {
  const [group, action, name] = argv;
  if (group === 'events' && (action === 'export' || (action === 'import' && name))) {
    return action === 'export' ? exportCommand(loadConfiguration(), name) : importCommand(loadConfiguration(), name!);
  }
  if (group !== 'projections' || !['status', 'rebuild', 'retry'].includes(action ?? '')) {
    console.error(USAGE);
    return 64; // EX_USAGE
  }
  const config = loadConfiguration();
  // The CLI never feeds projections itself: a running server may be doing it.
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, { runProjections: false }), {
    logger: ['error', 'warn'],
  });
  try {
    const runner = app.get<ProjectionRunner>(PROJECTION_RUNNER);
    const status = await runner.status();
    const known = status.projections.map((p) => p.name);
    if (name !== undefined && !known.includes(name)) {
      console.error(`Unknown projection "${name}". Known: ${known.join(', ')}`);
      return 64;
    }
    switch (action) {
      case 'status':
        console.log(`head of the log: ${status.head}`);
        console.table(status.projections.map((p) => ({ ...p })));
        return 0;
      case 'retry':
        if (!name) {
          console.error('projections retry needs a projection name');
          return 64;
        }
        console.log((await runner.retry(name)) ? `${name}: resumed` : `${name} was not failed`);
        return 0;
      case 'rebuild':
        await rebuildWithProgress(runner, name ? [name] : known);
        return 0;
      default:
        return 64;
    }
  } finally {
    await app.close();
  }
}

/** Several projections are rebuilt in one pass over the log (one read, every shadow fed from it). */
async function rebuildWithProgress(runner: ProjectionRunner, names: readonly string[]): Promise<void> {
  const label = names.length === 1 ? names[0]! : `${names.length} projections`;
  const bar = new cliProgress.SingleBar(
    { format: `${label.padEnd(16)} [{bar}] {percentage}% | {value}/{total} | {phase}`, hideCursor: true, noTTYOutput: true, notTTYSchedule: 1000 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1, 0, { phase: 'replay' });
  const results = await runner.rebuildMany(names, {
    onProgress: ({ phase, position, head }) => {
      bar.setTotal(Math.max(head, 1));
      bar.update(Math.min(position, Math.max(head, 1)), { phase });
    },
  });
  bar.update(Math.max(...results.map((r) => r.position), 1), { phase: 'done' });
  bar.stop();
  for (const result of results) {
    const side = result.parallelism > 1 ? ` (${result.parallelism} side by side)` : '';
    console.log(`${result.name}: ${result.events} events replayed${side} in ${result.durationMs} ms, now at position ${result.position}`);
  }
}

function progressBar(label: string): cliProgress.SingleBar {
  return new cliProgress.SingleBar(
    { format: `${label.padEnd(16)} [{bar}] {percentage}% | {value}/{total} | {phase}`, hideCursor: true, noTTYOutput: true, notTTYSchedule: 1000, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
}

/** The raw log (no upcasters): an export copies the log as it was written. */
async function exportCommand(config: RucheConfig, file: string | undefined): Promise<number> {
  const store = await openEventStore(config, []);
  const bar = progressBar('export');
  const onProgress = ({ position, head }: ExportProgress): void => {
    bar.setTotal(Math.max(head, 1));
    bar.update(Math.min(position, Math.max(head, 1)), { phase: 'positions' });
  };
  try {
    bar.start(1, 0, { phase: 'positions' });
    const result = !file || file === '-' ? await exportEvents(store, process.stdout, onProgress) : await exportEventsToFile(store, file, onProgress);
    bar.stop();
    console.error(`${result.events} events exported, up to position ${result.head}`);
    return 0;
  } finally {
    bar.stop();
    await store.close();
  }
}

async function importCommand(config: RucheConfig, file: string): Promise<number> {
  const store = await openEventStore(config, []);
  const bar = progressBar('import');
  try {
    bar.start(1, 0, { phase: 'check' });
    const result = await importEvents(store, file, ({ phase, events, total }) => {
      bar.setTotal(Math.max(total, events, 1));
      bar.update(events, { phase });
    });
    bar.stop();
    console.error(`${result.events} events imported (head at position ${result.head}); rebuilding the projections`);
  } catch (error) {
    bar.stop();
    if (!(error instanceof ImportRefusedError)) throw error;
    console.error(error.message);
    return 65; // EX_DATAERR
  } finally {
    await store.close();
  }
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, { runProjections: false }), { logger: ['error', 'warn'] });
  try {
    const runner = app.get<ProjectionRunner>(PROJECTION_RUNNER);
    await rebuildWithProgress(runner, runner.projections.map((projection) => projection.name));
    return 0;
  } finally {
    await app.close();
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof ConfigurationError) {
    console.error(error.message);
    process.exitCode = 78;
  } else {
    console.error(error);
    process.exitCode = 1;
  }
}
