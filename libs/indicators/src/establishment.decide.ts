import { type Actor, type Decider, type DomainCommand, DomainError, hasRole, parseUai } from '#ruche/domain-kit';
import { isDay, parisDay } from './calendar.js';
import {
  DERIVED_MILESTONES,
  ESTABLISHMENT_EVENT_SCHEMA_VERSIONS,
  evolveEstablishment,
  initialEstablishmentState,
  MILESTONES,
  RECORDED_MILESTONES,
  type EstablishmentEvent,
  type EstablishmentState,
  type RecordedMilestone,
} from './establishment.js';

/**
 * Records that the establishment `uai` reached `milestone`, on `date` (a day `YYYY-MM-DD`, not
 * in the future) or, without one, on the day it is recorded. Allowed to the dane, and to the
 * rrupn and the chef d'établissement of that UAI. Recording a milestone already recorded is a
 * no-op, whatever the date: the first record stands.
 */
export type RecordMilestone = DomainCommand<'RecordMilestone', { uai: unknown; milestone: unknown; date?: unknown }>;

export type EstablishmentCommand = RecordMilestone;

/** Milestones before this day are typing mistakes: PIX did not exist. */
export const EARLIEST_MILESTONE_DAY = '2015-01-01';

function actorOf(command: EstablishmentCommand): Actor {
  const actor = command.metadata.actor;
  if (!actor?.userId) throw DomainError.unauthenticated();
  return actor;
}

/** May the actor record the milestones of `uai`? The dane; its rrupn and its chef d'établissement. */
export function mayRecordMilestones(actor: Actor, uai: string): boolean {
  if (hasRole(actor, 'dane')) return true;
  const local = hasRole(actor, 'rrupn') || hasRole(actor, 'chef_etablissement');
  return local && actor.uai !== undefined && actor.uai.trim().toUpperCase() === uai;
}

function parseMilestone(value: unknown): RecordedMilestone {
  if (typeof value === 'string' && (DERIVED_MILESTONES as readonly string[]).includes(value)) {
    throw DomainError.validation('milestone', `${value} is recorded by the creation of the establishment's space, not by hand`);
  }
  if (typeof value === 'string' && (RECORDED_MILESTONES as readonly string[]).includes(value)) return value as RecordedMilestone;
  throw DomainError.validation('milestone', `milestone must be one of ${RECORDED_MILESTONES.join(', ')} (${MILESTONES.length} milestones, space_opened derived)`);
}

function parseDate(value: unknown, today: string): string {
  if (value === undefined || value === null || value === '') return today;
  if (!isDay(value)) throw DomainError.validation('date', 'date must be a day written YYYY-MM-DD');
  if (value > today) throw DomainError.validation('date', 'date must not be in the future');
  if (value < EARLIEST_MILESTONE_DAY) throw DomainError.validation('date', `date must not be before ${EARLIEST_MILESTONE_DAY}`);
  return value;
}

function recordMilestone(command: RecordMilestone, state: EstablishmentState): EstablishmentEvent[] {
  const actor = actorOf(command);
  const uai = parseUai(command.data.uai);
  if (state.uai !== undefined && state.uai !== uai) throw new Error(`Stream of ${state.uai} asked about ${uai}`);
  if (!mayRecordMilestones(actor, uai)) {
    throw DomainError.forbidden("Only the dane, or this establishment's rrupn or chef d'établissement, may record its milestones");
  }
  const today = parisDay(command.metadata.now);
  const milestone = parseMilestone(command.data.milestone);
  const date = parseDate(command.data.date, today);
  if (state.milestones.has(milestone)) return [];
  return [
    {
      type: 'EstablishmentMilestoneRecorded',
      data: { uai, milestone, date, at: command.metadata.now.toISOString(), by: actor.userId },
    },
  ];
}

export function decideEstablishment(command: EstablishmentCommand, state: EstablishmentState): EstablishmentEvent[] {
  switch (command.type) {
    case 'RecordMilestone':
      return recordMilestone(command, state);
    default: {
      const _exhaustive: never = command.type;
      throw new Error(`Unknown establishment command ${String(_exhaustive)}`);
    }
  }
}

/** The `establishment-<UAI>` stream's decider. */
export const establishmentDecider: Decider<EstablishmentCommand, EstablishmentEvent, EstablishmentState> = {
  decide: decideEstablishment,
  evolve: evolveEstablishment,
  initialState: initialEstablishmentState,
  eventSchemaVersions: ESTABLISHMENT_EVENT_SCHEMA_VERSIONS,
};
