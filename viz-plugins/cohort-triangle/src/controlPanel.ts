/**
 * Controls of the cohort triangle. Field names and defaults come from
 * settings.ts, so form_data written by the dashboard YAML lands in these
 * controls unchanged. "Show" only changes the drawing: a render trigger.
 */
import { columnControl } from '../../shared/src/controls';
import { DEFAULT_COLUMNS, FIELDS } from './settings';

const displayRows = [
  [
    {
      name: FIELDS.show,
      config: {
        type: 'SelectControl',
        label: 'Cells show',
        description: 'The share of the cohort that came back, or the number of visitors.',
        default: 'share',
        clearable: false,
        renderTrigger: true,
        choices: [
          ['share', 'Share of the cohort'],
          ['visitors', 'Returning visitors'],
        ],
      },
    },
  ],
  ['adhoc_filters'],
];

const columnRows = [
  [columnControl(FIELDS.cohortColumn, 'Cohort column', DEFAULT_COLUMNS.cohort, 'Start of the cohort (week of the first visit).')],
  [columnControl(FIELDS.offsetColumn, 'Week offset column', DEFAULT_COLUMNS.offset, 'Whole weeks since the first visit.')],
  [columnControl(FIELDS.visitorsColumn, 'Returning visitors column', DEFAULT_COLUMNS.visitors, 'Visitors active in that week; summed.')],
  [columnControl(FIELDS.cohortSizeColumn, 'Cohort size column', DEFAULT_COLUMNS.cohortSize, "The cohort's visitors; its maximum is taken.")],
];

const controlPanel = {
  controlPanelSections: [
    { label: 'Cohorts', expanded: true, controlSetRows: displayRows },
    { label: 'Dataset columns', expanded: false, controlSetRows: columnRows },
  ],
};

export default controlPanel;
