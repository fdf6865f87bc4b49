/**
 * Controls of the experiment chart. Field names and defaults come from
 * settings.ts, so form_data written by the dashboard YAML (experiment,
 * control_variant, unit, alpha, min_sample_per_variant) lands in these
 * controls unchanged. Controls that only change the statistics are render
 * triggers: changing them re-renders without re-running the query.
 */
import { DEFAULT_SETTINGS } from './stats';
import { columnControl } from '../../shared/src/controls';
import { DEFAULT_COLUMNS, DEFAULT_UNIT, FIELDS, UNITS } from './settings';

const experimentRows = [
  [
    {
      name: FIELDS.experiment,
      config: {
        type: 'TextControl',
        label: 'Experiment',
        description: 'Name of the experiment, as in the experiment column.',
        default: '',
      },
    },
  ],
  [
    {
      name: FIELDS.controlVariant,
      config: {
        type: 'TextControl',
        label: 'Control variant',
        description: 'The variant the others are compared with.',
        default: DEFAULT_SETTINGS.control,
        renderTrigger: true,
      },
    },
  ],
  [
    {
      name: FIELDS.unit,
      config: {
        type: 'SelectControl',
        label: 'Unit',
        description: 'Count exposed and converted sessions or visitors.',
        default: DEFAULT_UNIT,
        clearable: false,
        choices: UNITS.map(unit => [unit, unit[0].toUpperCase() + unit.slice(1)]),
      },
    },
  ],
  [
    {
      name: FIELDS.alpha,
      config: {
        type: 'SelectControl',
        label: 'Significance level (alpha)',
        description:
          'Chance of declaring a difference when there is none, over the whole ' +
          'experiment however often it is looked at; split over the pairs of arms.',
        default: DEFAULT_SETTINGS.alpha,
        freeForm: true,
        clearable: false,
        renderTrigger: true,
        choices: [
          [0.01, '0.01'],
          [0.05, '0.05'],
          [0.1, '0.10'],
        ],
      },
    },
  ],
  [
    {
      name: FIELDS.minSamplePerVariant,
      config: {
        type: 'TextControl',
        label: 'Minimum units per variant',
        description: 'No verdict to stop before every variant has this many exposed units.',
        default: DEFAULT_SETTINGS.minSamplePerVariant,
        isInt: true,
        renderTrigger: true,
      },
    },
  ],
  ['adhoc_filters'],
];

const advancedRows = [
  [
    {
      name: FIELDS.practicalEffect,
      config: {
        type: 'TextControl',
        label: 'Smallest uplift that matters',
        description:
          'Relative uplift (0.1 = 10%). Stop with "no meaningful difference" once every ' +
          "variant's always-valid interval lies within this margin of control.",
        default: DEFAULT_SETTINGS.practicalEffect,
        isFloat: true,
        renderTrigger: true,
      },
    },
  ],
  [
    {
      name: FIELDS.intendedSplit,
      config: {
        type: 'TextControl',
        label: 'Intended split',
        description:
          'Weights the variants were meant to get, as "control=1, B=1"; variants not listed weigh 1 ' +
          '(equal split by default). The sample ratio check compares the observed split with it.',
        default: '',
        renderTrigger: true,
      },
    },
  ],
  [
    {
      name: FIELDS.tunedUplift,
      config: {
        type: 'TextControl',
        label: 'Uplift the test is tuned for',
        description:
          'Relative uplift (0.1 = 10%) at which the always-valid test decides fastest: 80% of its mixing ' +
          'prior sits at this uplift and its inverse, 20% on the broad prior below, so every other uplift ' +
          'is still found. 0 keeps the broad prior alone. Validity holds for any value.',
        default: DEFAULT_SETTINGS.tunedUplift,
        isFloat: true,
        renderTrigger: true,
      },
    },
  ],
  [
    {
      name: FIELDS.mixingScale,
      config: {
        type: 'TextControl',
        label: 'Mixing scale (log-odds)',
        description:
          "Prior standard deviation, in log-odds, of an arm's share among converting units in the broad " +
          'part of the always-valid tests (and of the sample ratio check). Validity holds for any value.',
        default: DEFAULT_SETTINGS.mixingScale,
        isFloat: true,
        renderTrigger: true,
      },
    },
  ],
];

const columnRows = [
  [columnControl(FIELDS.experimentColumn, 'Experiment column', DEFAULT_COLUMNS.experiment, 'Holds the experiment name.')],
  [columnControl(FIELDS.variantColumn, 'Variant column', DEFAULT_COLUMNS.variant, 'Holds the variant name.')],
  [columnControl(FIELDS.unitColumn, 'Unit column', DEFAULT_COLUMNS.unit, "Holds 'sessions' or 'visitors'.")],
  [columnControl(FIELDS.exposedColumn, 'Exposed column', DEFAULT_COLUMNS.exposed, 'Units that saw the variant; summed.')],
  [columnControl(FIELDS.convertedColumn, 'Converted column', DEFAULT_COLUMNS.converted, 'Units that converted; summed.')],
  [columnControl(FIELDS.timeColumn, 'First exposure column', DEFAULT_COLUMNS.time, 'Hour of first exposure; each hour is one look.')],
];

const controlPanel = {
  controlPanelSections: [
    { label: 'Experiment', expanded: true, controlSetRows: experimentRows },
    { label: 'Statistics', expanded: false, controlSetRows: advancedRows },
    { label: 'Dataset columns', expanded: false, controlSetRows: columnRows },
  ],
};

export default controlPanel;
