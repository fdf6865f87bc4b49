/**
 * From Superset's chart props (form_data and the query result) to the props
 * of the React component, with all statistics computed here, once per data
 * change, rather than on every render.
 */
import type { ChartPropsLike } from '@superset-ui/core';
import {
  CONVERTED_LABEL,
  EXPOSED_LABEL,
  readQuerySettings,
  readStatSettings,
} from './settings';
import {
  NO_VARIANT,
  analyzeExperiment,
  type ExperimentResult,
  type ExperimentSettings,
  type LookCounts,
} from './stats';

export interface ExperimentChartProps {
  width: number;
  height: number;
  experiment: string;
  unit: string;
  settings: ExperimentSettings;
  result: ExperimentResult;
  hasData: boolean;
}

/** Epoch milliseconds of a time cell (Superset sends numbers; strings are parsed). */
function timeOf(value: unknown): number {
  if (typeof value === 'number') return value;
  const parsed = Date.parse(String(value ?? ''));
  return Number.isFinite(parsed) ? parsed : 0;
}

/** Query rows as counts per variant and look; a missing or empty variant is NO_VARIANT. */
export function lookCounts(
  rows: Record<string, unknown>[],
  variantColumn: string,
  timeColumn: string,
): LookCounts[] {
  return rows.map(row => {
    const variant = row[variantColumn];
    return {
      name: variant === null || variant === undefined || String(variant).trim() === '' ? NO_VARIANT : String(variant),
      time: timeOf(row[timeColumn]),
      exposed: Number(row[EXPOSED_LABEL] ?? 0) || 0,
      converted: Number(row[CONVERTED_LABEL] ?? 0) || 0,
    };
  });
}

/** Whether Superset applied a time range to the query, which cuts the history. */
function hasTimeRange(query: { from_dttm?: unknown; to_dttm?: unknown } | undefined): boolean {
  return Boolean(query && (query.from_dttm || query.to_dttm));
}

export default function transformProps(chartProps: ChartPropsLike): ExperimentChartProps {
  // rawFormData keeps the snake_case keys that the controls and YAML use.
  const formData = chartProps.rawFormData ?? chartProps.formData ?? {};
  const query = readQuerySettings(formData);
  const settings = readStatSettings(formData);
  const response = chartProps.queriesData?.[0];
  const rows = response?.data ?? [];
  const counts = lookCounts(rows, query.variantColumn, query.timeColumn);
  return {
    width: chartProps.width,
    height: chartProps.height,
    experiment: query.experiment,
    unit: query.unit,
    settings,
    result: analyzeExperiment(counts, settings, hasTimeRange(response)),
    hasData: counts.length > 0,
  };
}
