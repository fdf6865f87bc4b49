/**
 * Entry point of the experiment chart bundle. Superset imports this ES
 * module by URL (dynamic plugins); importing it registers the chart type
 * `divolte_experiment` with the host's registries.
 */
import { ChartMetadata, ChartPlugin } from '@superset-ui/core';
import ExperimentChart from './ExperimentChart';
import buildQuery from './buildQuery';
import controlPanel from './controlPanel';
import { THUMBNAIL } from './thumbnail';
import transformProps from './transformProps';

export const VIZ_TYPE = 'divolte_experiment';

const metadata = new ChartMetadata({
  name: 'Experiment (A/B test)',
  description:
    'Conversion per variant of an A/B experiment: uplift versus control with an exact ' +
    'always-valid test, tuned to decide fastest at the uplift that matters (10% by default), ' +
    'replayed over every hour since the start (safe to check at every refresh), ' +
    'a sample ratio mismatch check, a fixed-horizon z-test, the probability each variant is best, ' +
    'and a plain verdict that stays once reached.',
  category: 'Statistics',
  tags: ['Experiment', 'A/B test', 'Statistical', 'Table'],
  thumbnail: THUMBNAIL,
  useLegacyApi: false,
});

export default class ExperimentChartPlugin extends ChartPlugin {
  constructor() {
    super({ metadata, buildQuery, transformProps, controlPanel, Chart: ExperimentChart });
  }
}

new ExperimentChartPlugin().configure({ key: VIZ_TYPE }).register();
