/**
 * What an actor may do in one space, as the spaces context decides it (libs/spaces,
 * space.access.ts). Other contexts' deciders take it in their commands, computed by the handler,
 * so that forums, FAQ, documents and indicators apply the same rules without loading a space.
 */
export interface SpaceRights {
  /** May know the space exists (false: answer 404, as for a space that does not exist). */
  readonly mayKnow: boolean;
  /** May read its content. */
  readonly read: boolean;
  /** May write content (topics, posts, FAQ drafts, documents). */
  readonly contribute: boolean;
  /** May manage and moderate. */
  readonly manage: boolean;
}

/** No space, or one the actor may not know about. */
export const NO_SPACE_RIGHTS: SpaceRights = { mayKnow: false, read: false, contribute: false, manage: false };
