import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { type Actor, DomainError, hasRole, PIX_COMPETENCES, type PixCompetenceCode } from '#ruche/domain-kit';
import type { SqlDatabase, SqlValue } from '#ruche/projections';
import { CLOCK, decodeCursor, DEFAULT_PAGE_SIZE, READ_DB, type Clock, type Page } from '#ruche/platform';
import { SPACE_KINDS, type SpaceKind } from '#ruche/spaces';
import {
  daysBetween,
  parisDay,
  parseGranularity,
  parseQueryDay,
  parseSpan,
  periodEnd,
  periodStart,
  previousSpan,
  schoolYearStart,
  type DaySpan,
  type Granularity,
  type SpanRequest,
} from '../calendar.js';
import { departmentLabel, departmentOfUai } from '../department.js';
import { MILESTONES, type Milestone } from '../establishment.js';
import { emptyFigures, maskPeople, parseFigureField, type FigureField, type Figures, type PublicFigures } from '../figures.js';
import { ExplainReader, type ExplainedEvent } from './explain.reader.js';
import { ALL_SPACES, FiguresReader, NO_GROUPING, type FigureMap, type Grouping, type Selection } from './figures.reader.js';
import { IndicatorAccess } from './indicator-access.js';
import { NO_ESTABLISHMENT_KEY, PEOPLE_GROUPS } from './indicators.projection.js';

export type SeriesPoint = Figures & { period: string };

export interface SpaceIndicators {
  spaceId: string;
  from: string;
  to: string;
  granularity: Granularity;
  series: SeriesPoint[];
  previous: SeriesPoint[];
  totals: Figures;
  previousTotals: Figures;
}

export const GROUP_BYS = ['establishment', 'department', 'space', 'kind'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];

export type AcademyRow = Figures & { key: string; label: string };

export interface AcademyIndicators {
  from: string;
  to: string;
  groupBy: GroupBy;
  rows: AcademyRow[];
  totals: Figures;
  previousTotals: Figures;
}

export type EstablishmentSpaceFigures = Figures & { spaceId: string | null; name: string; kind: SpaceKind | null; visibility: string | null };

export interface EstablishmentIndicators {
  uai: string;
  name: string;
  department: string | null;
  from: string;
  to: string;
  spaces: EstablishmentSpaceFigures[];
  totals: Figures;
  previousTotals: Figures;
  milestones: Record<Milestone, string | null>;
}

export interface DormantSpace {
  spaceId: string;
  name: string;
  kind: SpaceKind;
  uai: string | null;
  lastContributionAt: string | null;
  daysSince: number;
}

export interface PixCompetenceItem {
  code: PixCompetenceCode;
  label: string;
  documents: number;
}

export interface DeploymentItem {
  uai: string;
  name: string;
  department: string | null;
  milestones: Record<Milestone, string | null>;
}

export interface Explanation extends Page<ExplainedEvent> {
  indicator: ExplainIndicator;
  field: FigureField;
  key: string | null;
  from: string;
  to: string;
  /** The figure the items explain, as the indicator answers it. */
  figure: number | null;
}

export interface PublicIndicators {
  generatedAt: string;
  from: string;
  to: string;
  academy: PublicFigures;
  departments: (PublicFigures & { code: string; label: string })[];
  deployment: { uai: string; name: string; department: string | null; milestones: Record<Milestone, string | null> }[];
}

export const EXPLAIN_INDICATORS = ['space', 'establishment', 'department', 'kind', 'academy'] as const;
export type ExplainIndicator = (typeof EXPLAIN_INDICATORS)[number];

export const KIND_LABELS: Readonly<Record<SpaceKind, string>> = {
  academic: 'Espaces académiques',
  establishment: "Espaces d'établissement",
  thematic: 'Espaces thématiques',
};
export const NO_ESTABLISHMENT = { key: NO_ESTABLISHMENT_KEY, label: 'Hors établissement (espaces académiques et thématiques)' };
export const NO_DEPARTMENT = { key: 'none', label: 'Hors département (espaces académiques et thématiques)' };
export const HIDDEN_SPACES = { key: 'hidden', label: 'Espaces privés' };

const DEPARTMENT_CODE = /^(\d{2}|2A|2B|97\d)$/;

export function parseGroupBy(value: unknown): GroupBy {
  if (value === undefined || value === null || value === '') return 'establishment';
  if (typeof value === 'string' && (GROUP_BYS as readonly string[]).includes(value)) return value as GroupBy;
  throw DomainError.validation('groupBy', `groupBy must be one of ${GROUP_BYS.join(', ')}`);
}

export function parseExplainIndicator(value: unknown): ExplainIndicator {
  if (typeof value === 'string' && (EXPLAIN_INDICATORS as readonly string[]).includes(value)) return value as ExplainIndicator;
  throw DomainError.validation('indicator', `indicator must be one of ${EXPLAIN_INDICATORS.join(', ')}`);
}

// ---------------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------------

export class SpaceIndicatorsQuery extends Query<SpaceIndicators> {
  constructor(readonly actor: Actor, readonly spaceId: string, readonly span: SpanRequest) {
    super();
  }
}

export class AcademyIndicatorsQuery extends Query<AcademyIndicators> {
  constructor(readonly actor: Actor, readonly span: SpanRequest, readonly groupBy: unknown) {
    super();
  }
}

export class EstablishmentIndicatorsQuery extends Query<EstablishmentIndicators> {
  constructor(readonly actor: Actor, readonly uai: string, readonly span: SpanRequest) {
    super();
  }
}

export class DormantSpacesQuery extends Query<{ days: number; items: DormantSpace[] }> {
  constructor(readonly actor: Actor, readonly days: number) {
    super();
  }
}

export class PixCompetencesQuery extends Query<{ items: PixCompetenceItem[] }> {
  constructor(readonly actor: Actor, readonly filter: { spaceId?: string; uai?: string }) {
    super();
  }
}

export class PixDeploymentQuery extends Query<{ items: DeploymentItem[] }> {
  constructor(readonly actor: Actor) {
    super();
  }
}

export interface ExplainRequest {
  indicator?: unknown;
  field?: unknown;
  key?: unknown;
  period?: unknown;
  granularity?: unknown;
  from?: unknown;
  to?: unknown;
  limit?: number;
  cursor?: string;
}

export class ExplainQuery extends Query<Explanation> {
  constructor(readonly actor: Actor, readonly request: ExplainRequest) {
    super();
  }
}

export class PublicIndicatorsQuery extends Query<PublicIndicators> {
  constructor(readonly span: { from?: unknown; to?: unknown }) {
    super();
  }
}

// ---------------------------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------------------------

interface SpaceRow {
  space_id: string;
  name: string;
  kind: SpaceKind;
  visibility: string;
  uai: string | null;
  department: string | null;
  created_at: string;
  created_day: string;
}

const figuresOf = (map: FigureMap, key = 'all'): Figures => map.get(key) ?? emptyFigures();

function emptyMilestones(): Record<Milestone, string | null> {
  return Object.fromEntries(MILESTONES.map((m) => [m, null])) as Record<Milestone, string | null>;
}

/**
 * The spaces of the selection whose names the actor may not see (private, not a member, not
 * the dane): their figures are grouped under HIDDEN_SPACES so that nothing names them.
 */
async function hiddenSpaceIds(db: SqlDatabase, access: IndicatorAccess, actor: Actor, selection: Selection = ALL_SPACES): Promise<string[]> {
  if (hasRole(actor, 'dane')) return [];
  const privates = await db.query<{ space_id: string }>(
    `SELECT s.space_id FROM ind_spaces s WHERE ${selection.where} AND s.visibility = 'private'`,
    selection.params,
  );
  const ids = privates.map((row) => row.space_id);
  const known = await access.knownIds(ids, actor);
  return ids.filter((id) => !known.has(id));
}

/** Groups by space, except that hidden spaces all fall under one key. */
function spaceGrouping(hidden: readonly string[], firstParam: number): Grouping {
  if (hidden.length === 0) return { key: 's.space_id' };
  const list = hidden.map((_, i) => `$${firstParam + i}`).join(', ');
  return { key: `CASE WHEN s.space_id IN (${list}) THEN '${HIDDEN_SPACES.key}' ELSE s.space_id END`, params: hidden };
}

/** The first establishment space of each UAI (the one whose creation opened it), oldest first. */
async function establishmentSpaces(db: SqlDatabase): Promise<Map<string, SpaceRow>> {
  const rows = await db.query<SpaceRow>(
    `SELECT space_id, name, kind, visibility, uai, department, created_at, created_day FROM ind_spaces
      WHERE kind = 'establishment' AND uai IS NOT NULL ORDER BY created_position`,
  );
  const first = new Map<string, SpaceRow>();
  for (const row of rows) if (!first.has(row.uai!)) first.set(row.uai!, row);
  return first;
}

/** An establishment's name: its space's, unless that space is hidden from the reader. */
function establishmentName(uai: string, space: SpaceRow | undefined, hidden: ReadonlySet<string>): string {
  return space && !hidden.has(space.space_id) ? space.name : `Établissement ${uai}`;
}

/** The PIX deployment table: every establishment with a space or a milestone. */
async function deploymentTable(db: SqlDatabase, hidden: ReadonlySet<string> | 'private'): Promise<DeploymentItem[]> {
  const spaces = await establishmentSpaces(db);
  const milestones = await db.query<{ uai: string; milestone: Milestone; date: string }>(`SELECT uai, milestone, date FROM ind_milestones`);
  const table = new Map<string, DeploymentItem>();
  const itemOf = (uai: string): DeploymentItem => {
    let item = table.get(uai);
    if (!item) {
      const space = spaces.get(uai);
      const hiddenHere = hidden === 'private' ? new Set(space?.visibility === 'private' ? [space.space_id] : []) : hidden;
      item = { uai, name: establishmentName(uai, space, hiddenHere), department: departmentOfUai(uai) ?? null, milestones: emptyMilestones() };
      table.set(uai, item);
    }
    return item;
  };
  for (const [uai, space] of spaces) itemOf(uai).milestones.space_opened = space.created_day;
  for (const row of milestones) itemOf(row.uai).milestones[row.milestone] = row.date;
  return [...table.values()].sort((a, b) => (a.department ?? '').localeCompare(b.department ?? '') || a.uai.localeCompare(b.uai));
}

function byLabel(a: { key: string; label: string }, b: { key: string; label: string }): number {
  const last = (key: string): number => (key === 'none' || key === HIDDEN_SPACES.key ? 1 : 0);
  return last(a.key) - last(b.key) || a.label.localeCompare(b.label, 'fr') || a.key.localeCompare(b.key);
}

// ---------------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------------

@QueryHandler(SpaceIndicatorsQuery)
export class SpaceIndicatorsHandler implements IQueryHandler<SpaceIndicatorsQuery> {
  constructor(
    private readonly access: IndicatorAccess,
    private readonly reader: FiguresReader,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ actor, spaceId, span: request }: SpaceIndicatorsQuery): Promise<SpaceIndicators> {
    await this.access.requireSpaceFigures(spaceId, actor);
    const now = this.clock.now();
    const span = parseSpan(request, parisDay(now));
    const { granularity } = span;
    const before = previousSpan(span, granularity);
    const selection: Selection = { where: 's.space_id = $1', params: [spaceId] };
    // One read for both series (the span and the one before it), and one per total.
    const [series, totals, previousTotals] = await Promise.all([
      this.reader.figures({ selection, grouping: NO_GROUPING, span: { from: before.from, to: span.to }, granularity, now }),
      this.reader.figures({ selection, grouping: NO_GROUPING, span, now }),
      this.reader.figures({ selection, grouping: NO_GROUPING, span: before, now }),
    ]);
    return {
      spaceId,
      from: span.from,
      to: span.to,
      granularity,
      series: FiguresReader.series(series, 'all', span, granularity),
      previous: FiguresReader.series(series, 'all', before, granularity),
      totals: figuresOf(totals),
      previousTotals: figuresOf(previousTotals),
    };
  }
}

@QueryHandler(AcademyIndicatorsQuery)
export class AcademyIndicatorsHandler implements IQueryHandler<AcademyIndicatorsQuery> {
  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    private readonly access: IndicatorAccess,
    private readonly reader: FiguresReader,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ actor, span: request, groupBy: rawGroupBy }: AcademyIndicatorsQuery): Promise<AcademyIndicators> {
    this.access.requireAcademy(actor);
    const groupBy = parseGroupBy(rawGroupBy);
    const now = this.clock.now();
    const span = parseSpan({ from: request.from, to: request.to }, parisDay(now));
    const before = previousSpan(span, 'day');
    const hidden = await hiddenSpaceIds(this.db, this.access, actor);
    const grouping = this.groupingOf(groupBy, hidden);
    const [groups, totals, previousTotals, keys] = await Promise.all([
      this.reader.figures({ selection: ALL_SPACES, grouping, span, now }),
      this.reader.figures({ selection: ALL_SPACES, grouping: NO_GROUPING, span, now }),
      this.reader.figures({ selection: ALL_SPACES, grouping: NO_GROUPING, span: before, now }),
      this.db.query<{ key: string }>(`SELECT DISTINCT ${grouping.key} AS key FROM ind_spaces s`, grouping.params ?? []),
    ]);
    const labels = await this.labelsOf(groupBy, keys.map((k) => k.key), new Set(hidden));
    const rows = keys
      .map(({ key }) => ({ key, label: labels.get(key) ?? key, ...figuresOf(groups, key) }))
      .sort(byLabel);
    return { from: span.from, to: span.to, groupBy, rows, totals: figuresOf(totals), previousTotals: figuresOf(previousTotals) };
  }

  private groupingOf(groupBy: GroupBy, hidden: readonly string[]): Grouping {
    switch (groupBy) {
      case 'establishment':
        return { key: `COALESCE(s.uai, '${NO_ESTABLISHMENT.key}')`, peopleGroup: PEOPLE_GROUPS.establishment };
      case 'department':
        return { key: `COALESCE(s.department, '${NO_DEPARTMENT.key}')` };
      case 'kind':
        return { key: 's.kind' };
      case 'space':
        return spaceGrouping(hidden, 1);
      default: {
        const _exhaustive: never = groupBy;
        throw new Error(`Unknown groupBy ${String(_exhaustive)}`);
      }
    }
  }

  private async labelsOf(groupBy: GroupBy, keys: readonly string[], hidden: ReadonlySet<string>): Promise<Map<string, string>> {
    const labels = new Map<string, string>();
    switch (groupBy) {
      case 'establishment': {
        const spaces = await establishmentSpaces(this.db);
        for (const key of keys) labels.set(key, key === NO_ESTABLISHMENT.key ? NO_ESTABLISHMENT.label : establishmentName(key, spaces.get(key), hidden));
        break;
      }
      case 'department':
        for (const key of keys) labels.set(key, key === NO_DEPARTMENT.key ? NO_DEPARTMENT.label : departmentLabel(key));
        break;
      case 'kind':
        for (const key of keys) labels.set(key, KIND_LABELS[key as SpaceKind] ?? key);
        break;
      case 'space': {
        const rows = await this.db.query<{ space_id: string; name: string }>(`SELECT space_id, name FROM ind_spaces`);
        const names = new Map(rows.map((row) => [row.space_id, row.name]));
        for (const key of keys) labels.set(key, key === HIDDEN_SPACES.key ? HIDDEN_SPACES.label : (names.get(key) ?? key));
        break;
      }
      default: {
        const _exhaustive: never = groupBy;
        throw new Error(`Unknown groupBy ${String(_exhaustive)}`);
      }
    }
    return labels;
  }
}

@QueryHandler(EstablishmentIndicatorsQuery)
export class EstablishmentIndicatorsHandler implements IQueryHandler<EstablishmentIndicatorsQuery> {
  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    private readonly access: IndicatorAccess,
    private readonly reader: FiguresReader,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ actor, uai: rawUai, span: request }: EstablishmentIndicatorsQuery): Promise<EstablishmentIndicators> {
    const uai = this.access.requireEstablishment(rawUai, actor);
    const spaces = await this.db.query<SpaceRow>(
      `SELECT space_id, name, kind, visibility, uai, department, created_at, created_day FROM ind_spaces WHERE uai = $1 ORDER BY created_position`,
      [uai],
    );
    const deployment = (await deploymentTable(this.db, new Set())).find((item) => item.uai === uai);
    if (spaces.length === 0 && !deployment) throw DomainError.notFound('No establishment with this UAI has a space or a milestone yet');
    const now = this.clock.now();
    const span = parseSpan({ from: request.from, to: request.to }, parisDay(now));
    const before = previousSpan(span, 'day');
    const selection: Selection = { where: 's.uai = $1', params: [uai] };
    const hidden = await hiddenSpaceIds(this.db, this.access, actor, selection);
    const [perSpace, totals, previousTotals] = await Promise.all([
      this.reader.figures({ selection, grouping: spaceGrouping(hidden, 2), span, now }),
      this.reader.figures({ selection, grouping: NO_GROUPING, span, now }),
      this.reader.figures({ selection, grouping: NO_GROUPING, span: before, now }),
    ]);
    const hiddenSet = new Set(hidden);
    const shown: EstablishmentSpaceFigures[] = spaces
      .filter((space) => !hiddenSet.has(space.space_id))
      .map((space) => ({ spaceId: space.space_id, name: space.name, kind: space.kind, visibility: space.visibility, ...figuresOf(perSpace, space.space_id) }));
    if (hidden.length > 0) {
      shown.push({ spaceId: null, name: HIDDEN_SPACES.label, kind: null, visibility: null, ...figuresOf(perSpace, HIDDEN_SPACES.key) });
    }
    const first = spaces.find((space) => space.kind === 'establishment');
    return {
      uai,
      name: establishmentName(uai, first, hiddenSet),
      department: departmentOfUai(uai) ?? null,
      from: span.from,
      to: span.to,
      spaces: shown,
      totals: figuresOf(totals),
      previousTotals: figuresOf(previousTotals),
      milestones: deployment?.milestones ?? emptyMilestones(),
    };
  }
}

@QueryHandler(DormantSpacesQuery)
export class DormantSpacesHandler implements IQueryHandler<DormantSpacesQuery> {
  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    private readonly access: IndicatorAccess,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ actor, days }: DormantSpacesQuery): Promise<{ days: number; items: DormantSpace[] }> {
    if (!Number.isSafeInteger(days) || days < 1 || days > 3650) throw DomainError.validation('days', 'days must be an integer from 1 to 3650');
    const params: SqlValue[] = [];
    let where = '1 = 1';
    if (!isAcademyReaderOrDane(actor)) {
      const managed = await this.access.managedSpaceIds(actor);
      const uai = establishmentUai(actor);
      const conditions: string[] = [];
      if (uai) {
        params.push(uai);
        conditions.push(`s.uai = $${params.length}`);
      }
      if (managed.length > 0) {
        conditions.push(`s.space_id IN (${managed.map((id) => (params.push(id), `$${params.length}`)).join(', ')})`);
      }
      if (conditions.length === 0) return { days, items: [] };
      where = `(${conditions.join(' OR ')})`;
    }
    const rows = await this.db.query<SpaceRow & { last_contribution_at: string | null }>(
      `SELECT s.space_id, s.name, s.kind, s.visibility, s.uai, s.created_at,
              (SELECT MAX(d.last_contribution_at) FROM ind_space_days d WHERE d.space_id = s.space_id) AS last_contribution_at
         FROM ind_spaces s WHERE ${where}`,
      params,
    );
    const hidden = new Set(await hiddenSpaceIdsOf(this.access, actor, rows));
    const today = parisDay(this.clock.now());
    const items = rows
      .filter((row) => !hidden.has(row.space_id))
      .map((row) => ({
        spaceId: row.space_id,
        name: row.name,
        kind: row.kind,
        uai: row.uai,
        lastContributionAt: row.last_contribution_at,
        // Since the space's creation when nobody has contributed yet.
        daysSince: daysBetween(parisDay(row.last_contribution_at ?? row.created_at), today),
      }))
      .filter((item) => item.daysSince >= days)
      .sort((a, b) => b.daysSince - a.daysSince || a.name.localeCompare(b.name, 'fr') || a.spaceId.localeCompare(b.spaceId));
    return { days, items };
  }
}

function isAcademyReaderOrDane(actor: Actor): boolean {
  return hasRole(actor, 'dane') || hasRole(actor, 'cmine') || hasRole(actor, 'inspecteur');
}

function establishmentUai(actor: Actor): string | undefined {
  if (!(hasRole(actor, 'rrupn') || hasRole(actor, 'chef_etablissement')) || !actor.uai) return undefined;
  return actor.uai.trim().toUpperCase();
}

/** Private spaces among `rows` the actor may not know (a UAI gives no right to know a space). */
async function hiddenSpaceIdsOf(access: IndicatorAccess, actor: Actor, rows: readonly SpaceRow[]): Promise<string[]> {
  if (hasRole(actor, 'dane')) return [];
  const privates = rows.filter((row) => row.visibility === 'private').map((row) => row.space_id);
  const known = await access.knownIds(privates, actor);
  return privates.filter((id) => !known.has(id));
}

@QueryHandler(PixCompetencesQuery)
export class PixCompetencesHandler implements IQueryHandler<PixCompetencesQuery> {
  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    private readonly access: IndicatorAccess,
  ) {}

  async execute({ actor, filter }: PixCompetencesQuery): Promise<{ items: PixCompetenceItem[] }> {
    let selection: Selection = ALL_SPACES;
    if (filter.spaceId !== undefined && filter.uai !== undefined) throw DomainError.validation('uai', 'Give spaceId or uai, not both');
    if (filter.spaceId !== undefined) {
      await this.access.requireSpaceFigures(filter.spaceId, actor);
      selection = { where: 's.space_id = $1', params: [filter.spaceId] };
    } else if (filter.uai !== undefined) {
      selection = { where: 's.uai = $1', params: [this.access.requireEstablishment(filter.uai, actor)] };
    } else {
      this.access.requireAcademy(actor);
    }
    const rows = await this.db.query<{ code: string; documents: number }>(
      `SELECT c.code AS code, SUM(c.documents) AS documents FROM ind_competences c JOIN ind_spaces s ON s.space_id = c.space_id
        WHERE ${selection.where} GROUP BY c.code`,
      selection.params,
    );
    const counts = new Map(rows.map((row) => [row.code, Number(row.documents)]));
    return { items: PIX_COMPETENCES.map(({ code, label }) => ({ code, label, documents: counts.get(code) ?? 0 })) };
  }
}

@QueryHandler(PixDeploymentQuery)
export class PixDeploymentHandler implements IQueryHandler<PixDeploymentQuery> {
  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    private readonly access: IndicatorAccess,
  ) {}

  async execute({ actor }: PixDeploymentQuery): Promise<{ items: DeploymentItem[] }> {
    // The table is public (GET /api/public/indicators): every signed-in user reads it too.
    const hidden = await hiddenSpaceIds(this.db, this.access, actor, { where: `s.kind = 'establishment'`, params: [] });
    return { items: await deploymentTable(this.db, new Set(hidden)) };
  }
}

@QueryHandler(ExplainQuery)
export class ExplainHandler implements IQueryHandler<ExplainQuery> {
  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    private readonly access: IndicatorAccess,
    private readonly reader: FiguresReader,
    private readonly explainer: ExplainReader,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ actor, request }: ExplainQuery): Promise<Explanation> {
    const indicator = parseExplainIndicator(request.indicator);
    const field = parseFigureField(request.field);
    const now = this.clock.now();
    const span = explainSpan(request, parisDay(now));
    const { selection, key } = await this.selectionOf(indicator, request.key, actor);
    const spaces = await this.db.query<{ space_id: string; visibility: string }>(
      `SELECT s.space_id, s.visibility FROM ind_spaces s WHERE ${selection.where}`,
      selection.params,
    );
    await this.access.requireReadAll(spaces, actor);
    const after = decodeCursor(request.cursor, 1)?.[0];
    if (after !== undefined && (typeof after !== 'number' || !Number.isSafeInteger(after))) {
      throw DomainError.validation('cursor', 'cursor is not valid: use the nextCursor of a previous page');
    }
    const [page, figures] = await Promise.all([
      this.explainer.explain(selection, field, span, now, (after as number | undefined) ?? 0, request.limit ?? DEFAULT_PAGE_SIZE),
      this.reader.figures({ selection, grouping: NO_GROUPING, span, now }),
    ]);
    return { indicator, field, key, from: span.from, to: span.to, figure: figuresOf(figures)[field], ...page };
  }

  private async selectionOf(indicator: ExplainIndicator, rawKey: unknown, actor: Actor): Promise<{ selection: Selection; key: string | null }> {
    const key = typeof rawKey === 'string' && rawKey.trim() !== '' ? rawKey.trim() : undefined;
    const requireKey = (): string => {
      if (key === undefined) throw DomainError.validation('key', `key must name the ${indicator} whose figure to explain`);
      return key;
    };
    switch (indicator) {
      case 'space': {
        const spaceId = requireKey();
        if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(spaceId)) throw DomainError.validation('key', 'key must be a space id (UUID)');
        const access = await this.access.requireSpaceFigures(spaceId, actor);
        if (!access.read) throw DomainError.forbidden("Only those who may read this space's content see the events behind its figures");
        return { selection: { where: 's.space_id = $1', params: [spaceId] }, key: spaceId };
      }
      case 'establishment': {
        let uai: string;
        try {
          uai = this.access.requireEstablishment(requireKey(), actor);
        } catch (error) {
          // The UAI is the key here: name the field the caller sent.
          if (error instanceof DomainError && error.code === 'VALIDATION' && error.field === 'uai') throw DomainError.validation('key', error.message.replace(/^uai/, 'key'));
          throw error;
        }
        return { selection: { where: 's.uai = $1', params: [uai] }, key: uai };
      }
      case 'department': {
        const code = requireKey().toUpperCase();
        if (!DEPARTMENT_CODE.test(code)) throw DomainError.validation('key', 'key must be a département code such as 06, 2A or 974');
        this.access.requireAcademy(actor);
        return { selection: { where: 's.department = $1', params: [code] }, key: code };
      }
      case 'kind': {
        const kind = requireKey();
        if (!(SPACE_KINDS as readonly string[]).includes(kind)) throw DomainError.validation('key', `key must be one of ${SPACE_KINDS.join(', ')}`);
        this.access.requireAcademy(actor);
        return { selection: { where: 's.kind = $1', params: [kind] }, key: kind };
      }
      case 'academy':
        this.access.requireAcademy(actor);
        return { selection: ALL_SPACES, key: null };
      default: {
        const _exhaustive: never = indicator;
        throw new Error(`Unknown indicator ${String(_exhaustive)}`);
      }
    }
  }
}

/** One period (`period` + `granularity`), or `from` and `to`. */
function explainSpan(request: ExplainRequest, today: string): DaySpan {
  if (request.period !== undefined && request.period !== '') {
    const granularity = parseGranularity(request.granularity);
    const period = parseQueryDay(request.period, 'period');
    if (periodStart(period, granularity) !== period) {
      throw DomainError.validation('period', `period must be the first day of its ${granularity} (${periodStart(period, granularity)})`);
    }
    return { from: period, to: periodEnd(period, granularity) };
  }
  if (request.from === undefined && request.to === undefined) {
    throw DomainError.validation('period', 'Give the period (its first day, with granularity) or from and to');
  }
  const span = parseSpan({ from: request.from, to: request.to }, today);
  return { from: span.from, to: span.to };
}

@QueryHandler(PublicIndicatorsQuery)
export class PublicIndicatorsHandler implements IQueryHandler<PublicIndicatorsQuery> {
  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    private readonly reader: FiguresReader,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ span: request }: PublicIndicatorsQuery): Promise<PublicIndicators> {
    const now = this.clock.now();
    const today = parisDay(now);
    // By default the school year so far: the public tracking of the roadmap.
    const to = request.to === undefined || request.to === '' ? today : parseQueryDay(request.to, 'to');
    const span = parseSpan({ from: request.from ?? schoolYearStart(to), to }, today);
    const departments = { where: 's.department IS NOT NULL', params: [] };
    const [academy, perDepartment, codes, deployment] = await Promise.all([
      this.reader.figures({ selection: ALL_SPACES, grouping: NO_GROUPING, span, now }),
      this.reader.figures({ selection: departments, grouping: { key: 's.department' }, span, now }),
      this.db.query<{ code: string }>(`SELECT DISTINCT department AS code FROM ind_spaces WHERE department IS NOT NULL ORDER BY department`),
      deploymentTable(this.db, 'private'),
    ]);
    return {
      generatedAt: now.toISOString(),
      from: span.from,
      to: span.to,
      academy: maskPeople(figuresOf(academy)),
      departments: codes.map(({ code }) => ({ code, label: departmentLabel(code), ...maskPeople(figuresOf(perDepartment, code)) })),
      deployment: deployment.map(({ uai, name, department, milestones }) => ({ uai, name, department, milestones })),
    };
  }
}

export const indicatorQueryHandlers = [
  SpaceIndicatorsHandler,
  AcademyIndicatorsHandler,
  EstablishmentIndicatorsHandler,
  DormantSpacesHandler,
  PixCompetencesHandler,
  PixDeploymentHandler,
  ExplainHandler,
  PublicIndicatorsHandler,
];
