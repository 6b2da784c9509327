import type { Actor, CommandMetadata } from '#ruche/domain-kit';
import { DeciderSpecification } from '#ruche/domain-kit/testing';
import { establishmentDecider, type RecordMilestone } from './establishment.decide.js';
import { establishmentEventTypes, establishmentStreamName, MILESTONES, RECORDED_MILESTONES, type EstablishmentMilestoneRecorded } from './establishment.js';

const given = DeciderSpecification.for(establishmentDecider);
const UAI = '0061234X';
const OTHER_UAI = '0830042K';
// 23:30 UTC on 14 October 2026 is already the 15th in Paris.
const NOW = new Date('2026-10-14T23:30:00.000Z');
const TODAY = '2026-10-15';

const actors = {
  dane: { userId: 'u-dane', roles: ['dane'] },
  rrupn: { userId: 'u-rrupn', roles: ['rrupn', 'enseignant'], uai: UAI },
  chef: { userId: 'u-chef', roles: ['chef_etablissement'], uai: '0061234x' },
  rrupnElsewhere: { userId: 'u-rrupn-83', roles: ['rrupn'], uai: OTHER_UAI },
  rrupnWithoutUai: { userId: 'u-rrupn-x', roles: ['rrupn'] },
  teacherOfUai: { userId: 'u-prof', roles: ['enseignant', 'referent_pix'], uai: UAI },
  cmine: { userId: 'u-cmine', roles: ['cmine'] },
} satisfies Record<string, Actor>;

const meta = (actor: Actor, now = NOW): CommandMetadata => ({ actor, now });
const record = (data: Partial<RecordMilestone['data']>, actor: Actor = actors.rrupn, now = NOW): RecordMilestone => ({
  type: 'RecordMilestone',
  data: { uai: UAI, milestone: 'referent_designated', ...data },
  metadata: meta(actor, now),
});
const recorded = (milestone: EstablishmentMilestoneRecorded['data']['milestone'], date: string, by: string, uai = UAI): EstablishmentMilestoneRecorded => ({
  type: 'EstablishmentMilestoneRecorded',
  data: { uai, milestone, date, at: NOW.toISOString(), by },
});

describe('establishment streams', () => {
  it('are named establishment-<UAI> and know the seven milestones of API.md', () => {
    expect(establishmentStreamName(UAI)).toBe('establishment-0061234X');
    expect(establishmentEventTypes).toEqual(['EstablishmentMilestoneRecorded']);
    expect(MILESTONES).toEqual([
      'referent_designated',
      'referent_trained_pix_orga',
      'referent_trained_pix_certif',
      'pix_orga_activated',
      'pix_certif_activated',
      'digital_committee_set_up',
      'space_opened',
    ]);
    expect(RECORDED_MILESTONES).not.toContain('space_opened');
  });
});

describe('given no milestone yet', () => {
  it.each([
    ['the rrupn of the UAI', actors.rrupn],
    ["the chef d'établissement of the UAI (UAI typed in lower case)", actors.chef],
    ['the dane', actors.dane],
  ])('%s records a milestone with its date', (_who, actor) => {
    given([])
      .when(record({ milestone: 'pix_orga_activated', date: '2026-10-01' }, actor))
      .then(recorded('pix_orga_activated', '2026-10-01', actor.userId));
  });

  it('dates a milestone without date on the Paris day it is recorded', () => {
    given([]).when(record({})).then(recorded('referent_designated', TODAY, actors.rrupn.userId));
  });

  it('takes a UAI typed in lower case with blanks', () => {
    given([]).when(record({ uai: ' 0061234x ' })).then(recorded('referent_designated', TODAY, actors.rrupn.userId));
  });

  it.each([
    ['an rrupn of another establishment', actors.rrupnElsewhere],
    ['an rrupn without establishment', actors.rrupnWithoutUai],
    ['a teacher of the establishment', actors.teacherOfUai],
    ['a cmine', actors.cmine],
  ])('refuses %s', (_who, actor) => {
    given([]).when(record({}, actor)).thenThrows('FORBIDDEN');
  });

  it('refuses a malformed UAI before anything else', () => {
    given([]).when(record({ uai: '12345' }, actors.rrupnElsewhere)).thenThrows('VALIDATION', 'uai');
  });

  it.each([
    [{ milestone: 'pix_installed' }, 'milestone'],
    [{ milestone: '' }, 'milestone'],
    [{ milestone: 'space_opened' }, 'milestone'],
    [{ date: '2026-02-30' }, 'date'],
    [{ date: '15/10/2026' }, 'date'],
    [{ date: '2026-10-16' }, 'date'],
    [{ date: '2014-12-31' }, 'date'],
  ])('refuses %j, naming %s', (data, field) => {
    given([]).when(record(data)).thenThrows('VALIDATION', field);
  });

  it('accepts a date of today in Paris, even when UTC is still on the day before', () => {
    given([]).when(record({ date: TODAY })).then(recorded('referent_designated', TODAY, actors.rrupn.userId));
  });

  it('checks the right to record before the milestone', () => {
    given([]).when(record({ milestone: 'nope' }, actors.rrupnElsewhere)).thenThrows('FORBIDDEN');
  });

  it('needs a signed-in actor', () => {
    given([]).when(record({}, { userId: '', roles: [] })).thenThrows('UNAUTHENTICATED');
  });
});

describe('given milestones already recorded', () => {
  const history = [recorded('referent_designated', '2026-09-10', actors.rrupn.userId)];

  it('records another milestone', () => {
    given(history).when(record({ milestone: 'referent_trained_pix_orga' }, actors.dane)).then(recorded('referent_trained_pix_orga', TODAY, actors.dane.userId));
  });

  it('records the same milestone twice as a no-op, whatever the date', () => {
    given(history).when(record({ milestone: 'referent_designated' })).thenNothingHappens();
    given(history).when(record({ milestone: 'referent_designated', date: '2026-09-01' }, actors.chef)).thenNothingHappens();
  });

  it('still refuses those who may not record, and bad dates', () => {
    given(history).when(record({ milestone: 'referent_designated' }, actors.rrupnElsewhere)).thenThrows('FORBIDDEN');
    given(history).when(record({ milestone: 'referent_designated', date: '2027-01-01' })).thenThrows('VALIDATION', 'date');
  });
});
