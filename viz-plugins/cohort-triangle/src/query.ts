/**
 * The parts of the cohort triangle's query that do not need Superset: one
 * row per cohort and week offset, with returning visitors summed and the
 * cohort's size.
 */
import type { AdhocMetricSimple } from '@superset-ui/core';
import { COHORT_SIZE_LABEL, RETURNING_LABEL, type QuerySettings } from './settings';

function aggregateOf(column: string, aggregate: 'SUM' | 'MAX', label: string): AdhocMetricSimple {
  return {
    expressionType: 'SIMPLE',
    column: { column_name: column },
    aggregate,
    label,
    hasCustomLabel: true,
    optionName: `metric_${label}`,
  };
}

/** SUM(visitors) and MAX(cohort size), labelled so transformProps can find them. */
export function cohortMetrics(settings: QuerySettings): AdhocMetricSimple[] {
  return [
    aggregateOf(settings.visitorsColumn, 'SUM', RETURNING_LABEL),
    aggregateOf(settings.cohortSizeColumn, 'MAX', COHORT_SIZE_LABEL),
  ];
}

/** Group by cohort, then week offset. */
export function cohortColumns(settings: QuerySettings): string[] {
  return [settings.cohortColumn, settings.offsetColumn];
}
