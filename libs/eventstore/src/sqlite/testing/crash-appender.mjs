// Crash-test fixture: appends forever from several concurrent appenders and prints one line per
// acknowledged append, `<stream> <last revision> <last position> <event count> ok`, only after
// the append's promise resolved (its transaction is durable). The test SIGKILLs this process.
// Usage: node crash-appender.mjs <file> <concurrency> <run id>
import { SqliteEventStore } from '#ruche/eventstore';

const [filename, concurrencyArg, runId] = process.argv.slice(2);
if (!filename || !concurrencyArg || !runId) {
  process.stderr.write('usage: crash-appender.mjs <file> <concurrency> <run id>\n');
  process.exit(2);
}

const store = SqliteEventStore.open({ filename });
const shared = `crash-${runId}_shared`;

function ack(stream, result, count) {
  // Writes to a pipe are synchronous on Linux: once written, the line survives our SIGKILL.
  process.stdout.write(`${stream} ${result.nextExpectedRevision} ${result.position} ${count} ok\n`);
}

async function appender(index) {
  const own = `crash-${runId}_${index}`;
  let expected = 'no_stream';
  for (let i = 0; ; i++) {
    const count = 1 + (i % 3);
    const events = Array.from({ length: count }, (_, j) => ({ type: 'CrashTicked', data: { runId, index, i, j } }));
    if (i % 4 === 3) {
      ack(shared, await store.appendToStream(shared, events, { expectedRevision: 'any' }), count);
    } else {
      const result = await store.appendToStream(own, events, { expectedRevision: expected });
      expected = result.nextExpectedRevision;
      ack(own, result, count);
    }
  }
}

const concurrency = Number(concurrencyArg);
await Promise.all(Array.from({ length: concurrency }, (_, index) => appender(index)));
