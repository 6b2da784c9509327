import fs from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { EventStore, RecordedEvent } from '#ruche/eventstore';

/** One line of an export: an event as the log recorded it (never upcast: the log is moved as it is). */
export interface ExportedEvent {
  position: number;
  id: string;
  streamName: string;
  revision: number;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
  createdAt: string;
}

export interface ExportProgress {
  events: number;
  position: number;
  /** The head when the export started: events appended later are not exported. */
  head: number;
}

const PAGE = 1000;

export function toExportLine(event: RecordedEvent): string {
  const line: ExportedEvent = {
    position: event.position,
    id: event.id,
    streamName: event.streamName,
    revision: event.revision,
    type: event.type,
    data: event.data,
    metadata: event.metadata,
    createdAt: event.createdAt.toISOString(),
  };
  return JSON.stringify(line);
}

/**
 * Writes the log, up to its head when the export starts, as JSON lines in position order. Give it
 * the raw store (without upcasters): an export is a copy of the log, not of today's reading of it.
 */
export async function exportEvents(store: EventStore, out: Writable, onProgress?: (progress: ExportProgress) => void): Promise<ExportProgress> {
  const head = await store.headPosition();
  const progress: ExportProgress = { events: 0, position: 0, head };
  onProgress?.(progress);
  while (progress.position < head) {
    const page = (await store.readAll({ fromPosition: progress.position, maxCount: PAGE })).filter((event) => event.position <= head);
    if (page.length === 0) break;
    const chunk = page.map((event) => `${toExportLine(event)}\n`).join('');
    if (!out.write(chunk)) await once(out, 'drain');
    progress.events += page.length;
    progress.position = page[page.length - 1]!.position;
    onProgress?.(progress);
  }
  return progress;
}

/** Exports into a file (created, or truncated), flushed to disk before it resolves. */
export async function exportEventsToFile(store: EventStore, file: string, onProgress?: (progress: ExportProgress) => void): Promise<ExportProgress> {
  const out = fs.createWriteStream(file, { flags: 'w' });
  try {
    const result = await exportEvents(store, out, onProgress);
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
    return result;
  } catch (error) {
    out.destroy();
    throw error;
  }
}
