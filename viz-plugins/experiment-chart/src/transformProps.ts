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
import { analyzeExperiment, type ExperimentResult, type ExperimentSettings, type VariantCounts } from './stats';

export interface ExperimentChartProps {
  width: number;
  height: number;
  experiment: string;
  unit: string;
  settings: ExperimentSettings;
  result: ExperimentResult;
  hasData: boolean;
}

/** Sum rows by variant name (a dataset may split a variant over several rows). */
export function variantCounts(
  rows: Record<string, unknown>[],
  variantColumn: string,
): VariantCounts[] {
  const byName = new Map<string, VariantCounts>();
  rows.forEach(row => {
    const name = String(row[variantColumn] ?? '(none)');
    const current = byName.get(name) ?? { name, exposed: 0, converted: 0 };
    current.exposed += Number(row[EXPOSED_LABEL] ?? 0) || 0;
    current.converted += Number(row[CONVERTED_LABEL] ?? 0) || 0;
    byName.set(name, current);
  });
  return [...byName.values()];
}

export default function transformProps(chartProps: ChartPropsLike): ExperimentChartProps {
  // rawFormData keeps the snake_case keys that the controls and YAML use.
  const formData = chartProps.rawFormData ?? chartProps.formData ?? {};
  const query = readQuerySettings(formData);
  const settings = readStatSettings(formData);
  const rows = chartProps.queriesData?.[0]?.data ?? [];
  const counts = variantCounts(rows, query.variantColumn);
  return {
    width: chartProps.width,
    height: chartProps.height,
    experiment: query.experiment,
    unit: query.unit,
    settings,
    result: analyzeExperiment(counts, settings),
    hasData: counts.length > 0,
  };
}
