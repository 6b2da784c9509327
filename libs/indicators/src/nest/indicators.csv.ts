import type { CsvTable, CsvValue } from '../csv.js';
import { MILESTONES } from '../establishment.js';
import { FIGURE_FIELDS, type Figures, type PublicFigures } from '../figures.js';
import type {
  AcademyIndicators,
  DeploymentItem,
  DormantSpace,
  EstablishmentIndicators,
  Explanation,
  PixCompetenceItem,
  PublicIndicators,
  SpaceIndicators,
} from './indicators.queries.js';

/** Each answer of the indicators as spreadsheet tables: the same figures, one row per line. */

const figureCells = (figures: Figures | PublicFigures): CsvValue[] => FIGURE_FIELDS.map((field) => figures[field]);

export function spaceCsv(result: SpaceIndicators): CsvTable {
  return {
    header: ['span', 'period', ...FIGURE_FIELDS],
    rows: [
      ...result.series.map((point) => ['current', point.period, ...figureCells(point)]),
      ...result.previous.map((point) => ['previous', point.period, ...figureCells(point)]),
      ['total', result.from, ...figureCells(result.totals)],
      ['previousTotal', result.previous[0]?.period ?? '', ...figureCells(result.previousTotals)],
    ],
  };
}

export function academyCsv(result: AcademyIndicators): CsvTable {
  return {
    header: ['key', 'label', ...FIGURE_FIELDS],
    rows: [
      ...result.rows.map((row) => [row.key, row.label, ...figureCells(row)]),
      ['total', `Total du ${result.from} au ${result.to}`, ...figureCells(result.totals)],
      ['previousTotal', 'Période précédente', ...figureCells(result.previousTotals)],
    ],
  };
}

export function establishmentCsv(result: EstablishmentIndicators): CsvTable[] {
  return [
    {
      title: `${result.name} (${result.uai}) du ${result.from} au ${result.to}`,
      header: ['spaceId', 'name', 'kind', ...FIGURE_FIELDS],
      rows: [
        ...result.spaces.map((space) => [space.spaceId, space.name, space.kind, ...figureCells(space)]),
        ['total', 'Total', null, ...figureCells(result.totals)],
        ['previousTotal', 'Période précédente', null, ...figureCells(result.previousTotals)],
      ],
    },
    { title: 'Jalons PIX', header: ['milestone', 'date'], rows: MILESTONES.map((m) => [m, result.milestones[m]]) },
  ];
}

export function dormantCsv(result: { items: DormantSpace[] }): CsvTable {
  return {
    header: ['spaceId', 'name', 'kind', 'uai', 'lastContributionAt', 'daysSince'],
    rows: result.items.map((item) => [item.spaceId, item.name, item.kind, item.uai, item.lastContributionAt, item.daysSince]),
  };
}

export function competencesCsv(result: { items: PixCompetenceItem[] }): CsvTable {
  return { header: ['code', 'label', 'documents'], rows: result.items.map((item) => [item.code, item.label, item.documents]) };
}

export function deploymentCsv(result: { items: Pick<DeploymentItem, 'uai' | 'name' | 'department' | 'milestones'>[] }, title?: string): CsvTable {
  return {
    ...(title ? { title } : {}),
    header: ['uai', 'name', 'department', ...MILESTONES],
    rows: result.items.map((item) => [item.uai, item.name, item.department, ...MILESTONES.map((m) => item.milestones[m])]),
  };
}

export function explainCsv(result: Explanation): CsvTable {
  return {
    header: ['position', 'type', 'streamName', 'createdAt', 'at'],
    rows: result.items.map((item) => [item.position, item.type, item.streamName, item.createdAt, item.at]),
  };
}

export function publicCsv(result: PublicIndicators): CsvTable[] {
  return [
    {
      title: `Activité du ${result.from} au ${result.to} (générée le ${result.generatedAt})`,
      header: ['scope', 'code', 'label', ...FIGURE_FIELDS],
      rows: [
        ['academy', null, 'Académie', ...figureCells(result.academy)],
        ...result.departments.map((d) => ['department', d.code, d.label, ...figureCells(d)]),
      ],
    },
    deploymentCsv({ items: result.deployment }, 'Déploiement PIX par établissement'),
  ];
}
