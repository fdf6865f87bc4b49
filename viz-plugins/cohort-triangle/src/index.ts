/**
 * Entry point of the cohort triangle bundle. Superset imports this ES module
 * by URL (dynamic plugins); importing it registers the chart type
 * `divolte_cohort_triangle` with the host's registries.
 */
import { ChartMetadata, ChartPlugin } from '@superset-ui/core';
import CohortTriangle from './CohortTriangle';
import buildQuery from './buildQuery';
import controlPanel from './controlPanel';
import { THUMBNAIL } from './thumbnail';
import transformProps from './transformProps';

export const VIZ_TYPE = 'divolte_cohort_triangle';

const metadata = new ChartMetadata({
  name: 'Cohort triangle (retention)',
  description:
    'Retention cohorts: one row per cohort (week of the first visit) with its size, one column per week ' +
    'since the first visit, each cell shaded by the share of the cohort that came back that week.',
  category: 'Table',
  tags: ['Retention', 'Cohort', 'Table', 'Heatmap'],
  thumbnail: THUMBNAIL,
  useLegacyApi: false,
});

export default class CohortTrianglePlugin extends ChartPlugin {
  constructor() {
    super({ metadata, buildQuery, transformProps, controlPanel, Chart: CohortTriangle });
  }
}

new CohortTrianglePlugin().configure({ key: VIZ_TYPE }).register();
