import { Inject, Injectable } from '@nestjs/common';
import { Command } from '@nestjs/cqrs';
import type { Actor, CommandMetadata } from '#ruche/domain-kit';
import type { EventStore } from '#ruche/eventstore';
import { handleCommand, loadStream, StreamStateCache, subCommandId, type CommandResult, type LoadedStream, type StreamDecider } from './handle-command.js';
import { CLOCK, EVENT_STORE, type Clock } from './tokens.js';

/** Where a command landed: API.md's `{ id, revision, position }`. */
export interface Landed {
  id: string;
  revision: number;
  position: number;
}

/** Set on every request by the IdempotencyInterceptor: which command this request is. */
export interface RequestMeta {
  /** Stable across retries with the same Idempotency-Key; fresh otherwise. */
  readonly commandId: string;
  readonly correlationId: string;
  /**
   * When the command happened, for seeds and imports that write a dated history; requests never
   * set it (the server's clock decides).
   */
  readonly now?: Date;
}

/**
 * A bus message for one decision: what the request asked (its own typed fields), who asks
 * (`actor`) and which command it is (`meta`). One class per decision; `Result` types what
 * `CommandBus.execute` answers.
 */
export abstract class RucheCommand<Result = Landed> extends Command<Result> {
  constructor(
    readonly actor: Actor,
    readonly meta: RequestMeta,
  ) {
    super();
  }
}

/** The same command's meta for a second stream it writes (e.g. registering an invited user). */
export function subCommandMeta(meta: RequestMeta, name: string): RequestMeta {
  return { ...meta, commandId: subCommandId(meta.commandId, name) };
}

/**
 * The command side's one way to run a decision on a stream: the clock, the actor and the command
 * id go in the command's metadata and in its events, and the stream's state is cached between
 * commands (see StreamStateCache).
 */
@Injectable()
export class CommandRunner {
  readonly cache = new StreamStateCache();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The stream's current state (for a handler's own checks, or another context's rights). */
  load<Event extends { type: string; data: unknown }, State>(
    streamName: string,
    decider: Pick<StreamDecider<unknown, Event, State>, 'evolve' | 'initialState'>,
  ): Promise<LoadedStream<State>> {
    return loadStream(this.store, streamName, decider, this.cache);
  }

  /**
   * Decides `build(metadata, state)` on `streamName` and appends what it decided. `build` gets
   * the command's metadata (actor, now, correlationId) and the current state.
   */
  run<Command, Event extends { type: string; data: unknown }, State>(
    streamName: string,
    decider: StreamDecider<Command, Event, State>,
    command: { actor: Actor; meta: RequestMeta },
    build: (metadata: CommandMetadata, state: NoInfer<State>) => NoInfer<Command>,
  ): Promise<CommandResult<Event>> {
    const metadata: CommandMetadata = { actor: command.actor, now: command.meta.now ?? this.clock.now(), correlationId: command.meta.correlationId };
    return handleCommand(
      this.store,
      streamName,
      decider,
      (state: State) => build(metadata, state),
      { commandId: command.meta.commandId, correlationId: command.meta.correlationId, userId: command.actor.userId },
      { cache: this.cache },
    );
  }
}
