import fs from 'node:fs';
import { createInterface } from 'node:readline';
import { assertStreamName, InvalidAppendError, type EventStore, type EventToAppend } from '#ruche/eventstore';
import type { ExportedEvent } from '../export/export-events.js';

/** Why an import was refused; nothing was written. */
export class ImportRefusedError extends Error {
  constructor(readonly problems: string[]) {
    super(`Import refused, nothing written:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ImportRefusedError';
  }
}

export interface ImportProgress {
  phase: 'check' | 'write';
  events: number;
  /** Lines of the file (known once the check is done). */
  total: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Most problems listed: a file broken everywhere says so in a screenful. */
const MAX_PROBLEMS = 20;

async function* linesOf(file: string): AsyncGenerator<{ line: string; number: number }> {
  const input = fs.createReadStream(file, { encoding: 'utf8' });
  const reader = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let number = 0;
  try {
    for await (const line of reader) {
      number += 1;
      yield { line, number };
    }
  } finally {
    reader.close();
    input.destroy();
  }
}

/** One line checked on its own: the event, or what is wrong with it. */
function parseLine(line: string): ExportedEvent | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return `not JSON (${(error as Error).message})`;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const event = value as Partial<ExportedEvent>;
  if (!Number.isSafeInteger(event.position) || event.position! < 1) return 'position must be an integer >= 1';
  if (typeof event.id !== 'string' || !UUID.test(event.id)) return 'id must be a lower-case UUID';
  try {
    assertStreamName(event.streamName);
  } catch (error) {
    return `streamName ${(error as InvalidAppendError).reason}`;
  }
  if (!Number.isSafeInteger(event.revision) || event.revision! < 0) return 'revision must be an integer >= 0';
  if (typeof event.type !== 'string' || event.type.trim() === '') return 'type must be a non-empty string';
  if (!('data' in event)) return 'data is missing';
  const metadata = event.metadata;
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) return 'metadata must be an object';
  if (!Number.isSafeInteger(metadata.schemaVersion) || (metadata.schemaVersion as number) < 1) return 'metadata.schemaVersion must be an integer >= 1';
  if (typeof event.createdAt !== 'string' || Number.isNaN(Date.parse(event.createdAt))) return 'createdAt must be an ISO time';
  return event as ExportedEvent;
}

/**
 * Checks a whole export before writing anything: every line an event, ids unique across the
 * file, positions increasing, each stream's revisions 0, 1, 2… in file order. Resolves the
 * number of events.
 */
export async function checkExport(file: string, onProgress?: (progress: ImportProgress) => void): Promise<number> {
  const problems: string[] = [];
  const idLines = new Map<string, number>();
  const nextRevision = new Map<string, number>();
  let lastPosition = 0;
  let events = 0;
  for await (const { line, number } of linesOf(file)) {
    if (problems.length >= MAX_PROBLEMS) break;
    if (line.trim() === '') {
      problems.push(`line ${number}: empty line`);
      continue;
    }
    const event = parseLine(line);
    if (typeof event === 'string') {
      problems.push(`line ${number}: ${event}`);
      continue;
    }
    const seenAt = idLines.get(event.id);
    if (seenAt !== undefined) problems.push(`line ${number}: id ${event.id} is already the id of line ${seenAt}`);
    else idLines.set(event.id, number);
    if (event.position <= lastPosition) problems.push(`line ${number}: position ${event.position} does not follow ${lastPosition}`);
    lastPosition = Math.max(lastPosition, event.position);
    const expected = nextRevision.get(event.streamName) ?? 0;
    if (event.revision !== expected) problems.push(`line ${number}: ${event.streamName} revision ${event.revision} where ${expected} was expected`);
    nextRevision.set(event.streamName, Math.max(expected, event.revision + 1));
    events += 1;
    if (events % 1000 === 0) onProgress?.({ phase: 'check', events, total: 0 });
  }
  if (problems.length > 0) throw new ImportRefusedError(problems);
  if (events === 0) throw new ImportRefusedError(['the file holds no event']);
  return events;
}

/**
 * Reads an export into an empty store of any adapter, keeping ids, streams, revisions, types,
 * data, metadata and order (each stream's run of consecutive events is one append, at the exact
 * revision it had). Positions are the target's own (KurrentDB chooses its own), in the same
 * order; `createdAt` becomes the time of the import (the port takes no recorded time), while the
 * times in the events' data, which the read models use, are kept.
 * Refuses a non-empty store, and a file with any bad line, before writing anything.
 */
export async function importEvents(store: EventStore, file: string, onProgress?: (progress: ImportProgress) => void): Promise<{ events: number; head: number }> {
  if ((await store.headPosition()) > 0) throw new ImportRefusedError(['the target event store is not empty: import only into a new database, schema, directory or KurrentDB']);
  const total = await checkExport(file, onProgress);
  if ((await store.headPosition()) > 0) throw new ImportRefusedError(['the target event store was written to during the check']);
  let written = 0;
  let run: ExportedEvent[] = [];
  const flush = async (): Promise<void> => {
    if (run.length === 0) return;
    const first = run[0]!;
    const events: EventToAppend[] = run.map((event) => ({ id: event.id, type: event.type, data: event.data, metadata: event.metadata }));
    await store.appendToStream(first.streamName, events, { expectedRevision: first.revision === 0 ? 'no_stream' : first.revision - 1 });
    written += run.length;
    run = [];
    onProgress?.({ phase: 'write', events: written, total });
  };
  onProgress?.({ phase: 'write', events: 0, total });
  for await (const { line } of linesOf(file)) {
    const event = JSON.parse(line) as ExportedEvent;
    if (run.length > 0 && (run[0]!.streamName !== event.streamName || run.length >= 500)) await flush();
    run.push(event);
  }
  await flush();
  return { events: written, head: await store.headPosition() };
}
