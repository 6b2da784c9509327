import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AppendOptions, AppendResult, EventStore, EventToAppend } from '#ruche/eventstore';

/**
 * The process's Prometheus metrics, in one registry (several apps in one test process share it).
 * Names follow Prometheus' conventions: seconds, `_total` for counters, a `ruche_` prefix.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'ruche_process_' });

export const httpDuration = new Histogram({
  name: 'ruche_http_request_duration_seconds',
  help: 'HTTP request latency by method, route (its template) and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
});

export const appendDuration = new Histogram({
  name: 'ruche_event_append_duration_seconds',
  help: 'Latency of appends to the event log, by outcome',
  labelNames: ['outcome'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [metricsRegistry],
});

export const appendedEvents = new Counter({
  name: 'ruche_events_appended_total',
  help: 'Events appended to the log by this process',
  registers: [metricsRegistry],
});

export const projectionLag = new Gauge({
  name: 'ruche_projection_lag_events',
  help: "Events of the log a projection has not applied yet (the head minus its checkpoint)",
  labelNames: ['projection', 'state'] as const,
  registers: [metricsRegistry],
});

export const projectionPosition = new Gauge({
  name: 'ruche_projection_position',
  help: "A projection's checkpoint",
  labelNames: ['projection'] as const,
  registers: [metricsRegistry],
});

export const logHead = new Gauge({ name: 'ruche_event_log_head_position', help: 'Position of the last event of the log', registers: [metricsRegistry] });

/** Set by the live gateway as sockets connect and leave (apps/api/src/live). */
export const connectedSockets = new Gauge({
  name: 'ruche_live_connected_sockets',
  help: 'socket.io clients connected to this process',
  registers: [metricsRegistry],
});

/** The store, with each append timed (ok, conflict or error). Reads pass through untouched. */
export function withAppendMetrics(store: EventStore): EventStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'appendToStream') {
        return async (streamName: string, events: readonly EventToAppend[], options?: AppendOptions): Promise<AppendResult> => {
          const stop = appendDuration.startTimer();
          try {
            const result = await target.appendToStream(streamName, events, options);
            stop({ outcome: 'ok' });
            appendedEvents.inc(events.length);
            return result;
          } catch (error) {
            stop({ outcome: (error as Error).name === 'WrongExpectedVersionError' ? 'conflict' : 'error' });
            throw error;
          }
        };
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
