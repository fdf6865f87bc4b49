/**
 * Query of the experiment chart: one row per variant and hour of first
 * exposure of the chosen experiment and unit, with exposed and converted
 * units summed, so the chart can replay every look from the start. Dashboard
 * filters and the chart's own adhoc filters still apply through the base
 * query object; a time range among them is reported back by Superset
 * (from_dttm, to_dttm) and replaces the verdict with a warning.
 */
import { buildQueryContext, type QueryFormData } from '@superset-ui/core';
import { experimentFilters, experimentMetrics } from './query';
import { readQuerySettings } from './settings';

// Variants times hours: a handful of arms over ten years of hours still fits.
const ROW_LIMIT = 1_000_000;

export default function buildQuery(formData: QueryFormData) {
  const settings = readQuerySettings(formData);
  return buildQueryContext(formData, baseQueryObject => [
    {
      ...baseQueryObject,
      columns: [settings.variantColumn, settings.timeColumn],
      metrics: experimentMetrics(settings),
      filters: [...(baseQueryObject.filters ?? []), ...experimentFilters(settings)],
      orderby: [],
      row_limit: ROW_LIMIT,
    },
  ]);
}
