/**
 * From Superset's chart props to the triangle: cohorts in time order, each
 * with its size and, per week since the first visit, the visitors who came
 * back and their share of the cohort.
 */
import type { ChartPropsLike } from '@superset-ui/core';
import { COHORT_SIZE_LABEL, RETURNING_LABEL, readQuerySettings, readShow, type Show } from './settings';

export interface CohortCell {
  week: number;
  visitors: number;
  share: number | null;
}

export interface Cohort {
  /** The cohort's start, as epoch milliseconds (UTC). */
  start: number;
  size: number;
  /** Cells by week offset, 0 first; a week not yet reached has no cell. */
  cells: CohortCell[];
}

export interface CohortTriangleProps {
  width: number;
  height: number;
  show: Show;
  cohorts: Cohort[];
  weeks: number;
  /** The largest share after week 0: the darkest shade, so returns stand out. */
  maxShare: number;
}

function toMillis(value: unknown): number {
  if (typeof value === 'number') return value;
  const parsed = Date.parse(String(value).replace(' ', 'T') + (/[zZ]|[+-]\d\d:?\d\d$/.test(String(value)) ? '' : 'Z'));
  return Number.isFinite(parsed) ? parsed : NaN;
}

/** Group query rows into cohorts; rows with an unreadable cohort or week are skipped. */
export function cohortsOf(rows: Record<string, unknown>[], cohortColumn: string, offsetColumn: string): Cohort[] {
  const byStart = new Map<number, { size: number; visitors: Map<number, number> }>();
  rows.forEach(row => {
    const start = toMillis(row[cohortColumn]);
    const week = Number(row[offsetColumn]);
    if (!Number.isFinite(start) || !Number.isInteger(week) || week < 0) return;
    const entry = byStart.get(start) ?? { size: 0, visitors: new Map<number, number>() };
    entry.size = Math.max(entry.size, Number(row[COHORT_SIZE_LABEL] ?? 0) || 0);
    entry.visitors.set(week, (entry.visitors.get(week) ?? 0) + (Number(row[RETURNING_LABEL] ?? 0) || 0));
    byStart.set(start, entry);
  });
  return [...byStart.entries()]
    .sort(([a], [b]) => a - b)
    .map(([start, { size, visitors }]) => {
      const last = Math.max(...visitors.keys());
      const cells: CohortCell[] = [];
      for (let week = 0; week <= last; week += 1) {
        const count = visitors.get(week) ?? 0;
        cells.push({ week, visitors: count, share: size > 0 ? count / size : null });
      }
      return { start, size, cells };
    });
}

export default function transformProps(chartProps: ChartPropsLike): CohortTriangleProps {
  const formData = chartProps.rawFormData ?? chartProps.formData ?? {};
  const settings = readQuerySettings(formData);
  const rows = chartProps.queriesData?.[0]?.data ?? [];
  const cohorts = cohortsOf(rows, settings.cohortColumn, settings.offsetColumn);
  const later = cohorts.flatMap(cohort => cohort.cells.filter(cell => cell.week > 0).map(cell => cell.share ?? 0));
  return {
    width: chartProps.width,
    height: chartProps.height,
    show: readShow(formData),
    cohorts,
    weeks: Math.max(0, ...cohorts.map(cohort => cohort.cells.length - 1)),
    maxShare: Math.max(0, ...later),
  };
}
