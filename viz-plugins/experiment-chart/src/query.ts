/**
 * The parts of the chart's query that do not need Superset: which rows
 * (experiment and unit filters) and which aggregates (sums per variant).
 */
import type { AdhocMetricSimple, QueryObjectFilterClause } from '@superset-ui/core';
import { CONVERTED_LABEL, EXPOSED_LABEL, type QuerySettings } from './settings';

/** Equality filters on experiment and unit; empty settings filter nothing. */
export function experimentFilters(settings: QuerySettings): QueryObjectFilterClause[] {
  const filters: QueryObjectFilterClause[] = [];
  if (settings.experiment && settings.experimentColumn) {
    filters.push({ col: settings.experimentColumn, op: '==', val: settings.experiment });
  }
  if (settings.unit && settings.unitColumn) {
    filters.push({ col: settings.unitColumn, op: '==', val: settings.unit });
  }
  return filters;
}

function sumOf(column: string, label: string): AdhocMetricSimple {
  return {
    expressionType: 'SIMPLE',
    column: { column_name: column },
    aggregate: 'SUM',
    label,
    hasCustomLabel: true,
    optionName: `metric_${label}`,
  };
}

/** SUM(exposed) and SUM(converted), labelled so transformProps can find them. */
export function experimentMetrics(settings: QuerySettings): AdhocMetricSimple[] {
  return [
    sumOf(settings.exposedColumn, EXPOSED_LABEL),
    sumOf(settings.convertedColumn, CONVERTED_LABEL),
  ];
}
