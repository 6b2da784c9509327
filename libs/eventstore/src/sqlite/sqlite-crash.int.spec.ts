import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Sqlite from 'better-sqlite3';
import { type RecordedEvent, SqliteEventStore } from '#ruche/eventstore';

// The fixture runs the compiled store from dist/ (`#ruche/eventstore` without the "source"
// condition), in its own process, so that it can be killed without warning. dist/ is built once
// for the run by test/support/global-build.ts.
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const fixture = fileURLToPath(new URL('./testing/crash-appender.mjs', import.meta.url));
const APPENDERS = 6;
const RUNS = 4;

interface Ack {
  stream: string;
  revision: number;
  position: number;
  count: number;
}

const ACK_LINE = /^(\S+) (\d+) (\d+) (\d+) ok$/;

let dir: string | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ruche-sqlite-crash-'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs the appender until it has acknowledged `killAfter` appends, then SIGKILLs it. */
function appendUntilKilled(filename: string, runId: string, killAfter: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture, filename, String(APPENDERS), runId], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acks: Ack[] = [];
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timeout = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`appender gave only ${acks.length} acks in 30 s; stderr: ${stderr}`));
    }, 30_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = ACK_LINE.exec(line);
      if (!match) return; // a line cut by the kill is not an acknowledgement
      acks.push({ stream: match[1]!, revision: Number(match[2]), position: Number(match[3]), count: Number(match[4]) });
      if (acks.length >= killAfter && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    child.on('error', reject);
    // 'close' waits for stdout to end: every line written before the kill has been read.
    child.on('close', (code, signal) => {
      clearTimeout(timeout);
      if (signal !== 'SIGKILL') reject(new Error(`appender ended on its own (code ${code}); stderr: ${stderr}`));
      else resolve(acks);
    });
  });
}

function integrityOf(filename: string): string {
  const db = new Sqlite(filename);
  try {
    return String(db.pragma('integrity_check', { simple: true }));
  } finally {
    db.close();
  }
}

describe('SqliteEventStore: crash of the writing process', () => {
  it(`keeps every acknowledged append at its position across ${RUNS} SIGKILLs`, async () => {
    const filename = join(dir!, 'events.db');
    const acknowledged: Ack[] = [];

    for (let run = 0; run < RUNS; run++) {
      const killAfter = 200 + Math.floor(Math.random() * 300);
      const acks = await appendUntilKilled(filename, `r${run}`, killAfter);
      expect(acks.length).toBeGreaterThanOrEqual(killAfter);
      acknowledged.push(...acks);

      expect(integrityOf(filename)).toBe('ok');
      const store = SqliteEventStore.open({ filename });
      try {
        const all = await store.readAll();
        const positions = all.map((e) => e.position);
        for (let i = 1; i < positions.length; i++) expect(positions[i]).toBeGreaterThan(positions[i - 1]!);
        expect(await store.headPosition()).toBe(positions[positions.length - 1]);

        // Every acknowledged append is there, whole, with its last event at the acknowledged position.
        const byStream = new Map<string, RecordedEvent[]>();
        for (const event of all) byStream.set(event.streamName, [...(byStream.get(event.streamName) ?? []), event]);
        for (const ack of acknowledged) {
          const events = byStream.get(ack.stream) ?? [];
          const last = events[ack.revision];
          expect({ ack, position: last?.position }).toEqual({ ack, position: ack.position });
          const batch = events.slice(ack.revision - ack.count + 1, ack.revision + 1);
          expect(batch.map((e) => e.revision)).toEqual(Array.from({ length: ack.count }, (_, i) => ack.revision - ack.count + 1 + i));
        }

        // Every stream is contiguous from revision 0, and its recorded head agrees.
        for (const [name, events] of byStream) {
          expect(events.map((e) => e.revision)).toEqual(Array.from({ length: events.length }, (_, i) => i));
          expect(await store.streamRevision(name)).toBe(events.length - 1);
        }
      } finally {
        await store.close();
      }
    }
    console.log(`[sqlite crash] ${RUNS} SIGKILLs, ${acknowledged.length} acknowledged appends, all found at their positions`);
  }, 180_000);
});
