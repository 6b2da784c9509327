import type { DomainEvent, EventSchemaVersions } from '#ruche/domain-kit';

/** An establishment's PIX deployment lives in `establishment-<UAI>` (the UAI upper-cased). */
export const ESTABLISHMENT_STREAM_CATEGORY = 'establishment';

export function establishmentStreamName(uai: string): string {
  return `${ESTABLISHMENT_STREAM_CATEGORY}-${uai}`;
}

/** The milestones of the PIX deployment table (API.md), in the order the table shows them. */
export const MILESTONES = [
  'referent_designated',
  'referent_trained_pix_orga',
  'referent_trained_pix_certif',
  'pix_orga_activated',
  'pix_certif_activated',
  'digital_committee_set_up',
  'space_opened',
] as const;
export type Milestone = (typeof MILESTONES)[number];

/**
 * `space_opened` is not recorded by hand: the creation of the establishment's space (one per
 * UAI, claimed by the spaces context) is that milestone, dated by the space's creation.
 */
export const DERIVED_MILESTONES = ['space_opened'] as const satisfies readonly Milestone[];
export const RECORDED_MILESTONES = MILESTONES.filter((m) => !(DERIVED_MILESTONES as readonly string[]).includes(m)) as Exclude<
  Milestone,
  (typeof DERIVED_MILESTONES)[number]
>[];
export type RecordedMilestone = (typeof RECORDED_MILESTONES)[number];

/**
 * A milestone of the establishment's PIX deployment was reached on `date` (a Paris day
 * `YYYY-MM-DD`: the one given, or the day it was recorded), recorded at `at` by `by`.
 */
export type EstablishmentMilestoneRecorded = DomainEvent<
  'EstablishmentMilestoneRecorded',
  { uai: string; milestone: RecordedMilestone; date: string; at: string; by: string }
>;

export type EstablishmentEvent = EstablishmentMilestoneRecorded;
export type EstablishmentEventType = EstablishmentEvent['type'];

export const ESTABLISHMENT_EVENT_SCHEMA_VERSIONS: EventSchemaVersions<EstablishmentEventType> = {
  EstablishmentMilestoneRecorded: 1,
};

export const establishmentEventTypes = Object.keys(ESTABLISHMENT_EVENT_SCHEMA_VERSIONS) as readonly EstablishmentEventType[];

export function isEstablishmentEvent(event: { type: string }): event is EstablishmentEvent {
  return (establishmentEventTypes as readonly string[]).includes(event.type);
}

/** What decisions need: the milestones already recorded, with their dates. */
export interface EstablishmentState {
  uai?: string;
  milestones: ReadonlyMap<RecordedMilestone, string>;
}

export function initialEstablishmentState(): EstablishmentState {
  return { milestones: new Map() };
}

export function evolveEstablishment(state: EstablishmentState, event: EstablishmentEvent): EstablishmentState {
  switch (event.type) {
    case 'EstablishmentMilestoneRecorded':
      return { uai: event.data.uai, milestones: new Map(state.milestones).set(event.data.milestone, event.data.date) };
    default: {
      // Unknown types (from a newer writer) leave the state as it is.
      const _exhaustive: never = event.type;
      return state;
    }
  }
}
