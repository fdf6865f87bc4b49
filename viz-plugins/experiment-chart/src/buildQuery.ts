/**
 * Query of the experiment chart: one row per variant of the chosen
 * experiment and unit, with exposed and converted units summed. Dashboard
 * filters and the chart's own adhoc filters still apply through the base
 * query object that Superset derives from form_data.
 */
import { buildQueryContext, type QueryFormData } from '@superset-ui/core';
import { experimentFilters, experimentMetrics } from './query';
import { readQuerySettings } from './settings';

// A handful of variants is normal; the limit only guards against a wrong column.
const ROW_LIMIT = 1000;

export default function buildQuery(formData: QueryFormData) {
  const settings = readQuerySettings(formData);
  return buildQueryContext(formData, baseQueryObject => [
    {
      ...baseQueryObject,
      columns: [settings.variantColumn],
      metrics: experimentMetrics(settings),
      filters: [...(baseQueryObject.filters ?? []), ...experimentFilters(settings)],
      orderby: [],
      row_limit: ROW_LIMIT,
    },
  ]);
}
