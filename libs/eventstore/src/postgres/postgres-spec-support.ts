import pg from 'pg';
import type { EventStore, EventSubscription, RecordedEvent } from '../event-store.js';

/** Waits for a condition without a fixed sleep: resolves as soon as it holds, fails after `timeoutMs`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export interface Collected {
  seen: RecordedEvent[];
  subscription: EventSubscription;
  /** Settles when the subscription loop ends; rejects with what broke it. */
  done: Promise<void>;
}

/** Drains a subscription into an array in the background. */
export function collect(store: EventStore, fromPosition?: number): Collected {
  const seen: RecordedEvent[] = [];
  const subscription = store.subscribeToAll({ fromPosition });
  const done = (async () => {
    for await (const event of subscription) seen.push(event);
  })();
  // Observed through `done` by the tests; this only keeps an early failure from being unhandled.
  done.catch(() => undefined);
  return { seen, subscription, done };
}

export function expectStrictlyIncreasing(positions: readonly number[]): void {
  for (let i = 1; i < positions.length; i++) {
    if (!(positions[i] > positions[i - 1])) {
      throw new Error(`positions not strictly increasing at index ${i}: ${positions[i - 1]} then ${positions[i]}`);
    }
  }
}

export async function dropSchema(connectionString: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
