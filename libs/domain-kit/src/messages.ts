/** Who sends a command: the signed-in user, with their global roles and establishment. */
export interface Actor<Role extends string = string> {
  readonly userId: string;
  readonly roles: readonly Role[];
  /** The actor's establishment (UAI, upper case), when they belong to one. */
  readonly uai?: string;
}

/**
 * What every command carries besides its data. `now` is the only clock a decision sees:
 * decide never calls Date.now(), so a decision replays identically.
 */
export interface CommandMetadata<Role extends string = string> {
  readonly actor: Actor<Role>;
  readonly now: Date;
  readonly correlationId?: string;
}

/**
 * A domain command: plain readonly data with a stable `type`, its input, and who/when. Named
 * apart from @nestjs/cqrs' `Command` (the bus message that carries it) so the two never meet.
 */
export type DomainCommand<Type extends string = string, Data extends object = object> = Readonly<{
  type: Type;
  data: Readonly<Data>;
  metadata: CommandMetadata;
}>;

/**
 * A domain event: plain readonly data with a stable string `type` (never a class name) and its
 * `data`; it maps one-to-one onto the event store's `{ type, data }`.
 */
export type DomainEvent<Type extends string = string, Data extends object = object> = Readonly<{
  type: Type;
  data: Readonly<Data>;
}>;
