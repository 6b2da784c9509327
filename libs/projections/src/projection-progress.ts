/** What a runner knows of one projection it feeds. */
/** `standby`: another process holds the projection's lease and applies it; this one follows its checkpoint. */
export type LoopState = 'starting' | 'running' | 'standby' | 'failed' | 'outdated' | 'stopped';

interface Waiter {
  position: number;
  names: readonly string[];
  resolve(reached: boolean): void;
  timer: NodeJS.Timeout;
}

/**
 * The runner's in-memory view of its projections' positions. Waiters are checked whenever a
 * position or a state changes, so `waitFor` resolves as soon as the last projection commits the
 * position, with no polling.
 */
export class ProjectionProgress {
  private readonly positions = new Map<string, number>();
  private readonly states = new Map<string, LoopState>();
  private readonly waiters = new Set<Waiter>();
  private changeListeners = new Set<() => void>();

  constructor(readonly names: readonly string[]) {
    for (const name of names) {
      this.positions.set(name, 0);
      this.states.set(name, 'starting');
    }
  }

  position(name: string): number {
    return this.positions.get(name) ?? 0;
  }

  state(name: string): LoopState {
    return this.states.get(name) ?? 'stopped';
  }

  update(name: string, change: { position?: number; state?: LoopState }): void {
    if (change.position !== undefined) this.positions.set(name, change.position);
    if (change.state !== undefined) this.states.set(name, change.state);
    for (const waiter of [...this.waiters]) {
      if (this.reached(waiter.position, waiter.names)) this.settle(waiter, true);
    }
    const listeners = [...this.changeListeners];
    this.changeListeners.clear();
    for (const listener of listeners) listener();
  }

  reached(position: number, names: readonly string[] = this.names): boolean {
    return names.every((name) => this.position(name) >= position);
  }

  waitFor(position: number, timeoutMs: number, names: readonly string[] = this.names): Promise<boolean> {
    for (const name of names) {
      if (!this.positions.has(name)) return Promise.reject(new Error(`Unknown projection ${name}`));
    }
    if (this.reached(position, names)) return Promise.resolve(true);
    if (!(timeoutMs > 0)) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter: Waiter = { position, names, resolve, timer: setTimeout(() => this.settle(waiter, false), timeoutMs) };
      this.waiters.add(waiter);
    });
  }

  /**
   * Lowest position among the projections that are live or about to be; undefined when none is
   * (every one failed or outdated): those do not hold back what the others have applied.
   */
  liveMinimum(): number | undefined {
    let min: number | undefined;
    for (const name of this.names) {
      const state = this.state(name);
      if (state !== 'running' && state !== 'starting' && state !== 'standby') continue;
      const position = this.position(name);
      if (min === undefined || position < min) min = position;
    }
    return min;
  }

  /** Resolves at the next change of any position or state. */
  nextChange(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.changeListeners.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.changeListeners.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Settles every pending waiter as not reached (the runner is stopping). */
  cancelAll(): void {
    for (const waiter of [...this.waiters]) this.settle(waiter, false);
  }

  private settle(waiter: Waiter, reached: boolean): void {
    if (!this.waiters.delete(waiter)) return;
    clearTimeout(waiter.timer);
    waiter.resolve(reached);
  }
}
