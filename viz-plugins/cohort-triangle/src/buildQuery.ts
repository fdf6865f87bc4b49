/**
 * Query of the cohort triangle: one row per cohort and week since the first
 * visit. The dashboard's time range and filters still apply through the base
 * query object that Superset derives from form_data (on the retention
 * dataset the time range picks cohorts).
 */
import { buildQueryContext, type QueryFormData } from '@superset-ui/core';
import { cohortColumns, cohortMetrics } from './query';
import { readQuerySettings } from './settings';

// A year of weekly cohorts times 53 offsets stays far below this.
const ROW_LIMIT = 10_000;

export default function buildQuery(formData: QueryFormData) {
  const settings = readQuerySettings(formData);
  return buildQueryContext(formData, baseQueryObject => [
    {
      ...baseQueryObject,
      columns: cohortColumns(settings),
      metrics: cohortMetrics(settings),
      orderby: [],
      row_limit: ROW_LIMIT,
    },
  ]);
}
