/**
 * The cohort triangle's form_data fields and defaults, shared by buildQuery,
 * transformProps and the control panel so the three never disagree on a name.
 */

/** form_data keys, as the dashboard YAML sets them. */
export const FIELDS = {
  cohortColumn: 'cohort_column',
  offsetColumn: 'offset_column',
  visitorsColumn: 'visitors_column',
  cohortSizeColumn: 'cohort_size_column',
  show: 'show',
} as const;

/** Columns of the `retention` dataset; each can be renamed in the controls. */
export const DEFAULT_COLUMNS = {
  cohort: 'cohort_week',
  offset: 'weeks_since_first_visit',
  visitors: 'visitors',
  cohortSize: 'cohort_visitors',
};

/** Labels of the two metrics in the query result. */
export const RETURNING_LABEL = 'returning_visitors';
export const COHORT_SIZE_LABEL = 'cohort_size';

export const SHOW_CHOICES = ['share', 'visitors'] as const;
export type Show = (typeof SHOW_CHOICES)[number];

export interface QuerySettings {
  cohortColumn: string;
  offsetColumn: string;
  visitorsColumn: string;
  cohortSizeColumn: string;
}

type FormData = Record<string, unknown>;

function text(formData: FormData, key: string, fallback: string): string {
  const value = formData[key];
  const trimmed = value === undefined || value === null ? '' : String(value).trim();
  return trimmed || fallback;
}

/** Column names from form_data, falling back to the retention dataset's. */
export function readQuerySettings(formData: FormData): QuerySettings {
  return {
    cohortColumn: text(formData, FIELDS.cohortColumn, DEFAULT_COLUMNS.cohort),
    offsetColumn: text(formData, FIELDS.offsetColumn, DEFAULT_COLUMNS.offset),
    visitorsColumn: text(formData, FIELDS.visitorsColumn, DEFAULT_COLUMNS.visitors),
    cohortSizeColumn: text(formData, FIELDS.cohortSizeColumn, DEFAULT_COLUMNS.cohortSize),
  };
}

/** What the cells show: the share of the cohort (default) or the visitor count. */
export function readShow(formData: FormData): Show {
  const value = text(formData, FIELDS.show, 'share');
  return (SHOW_CHOICES as readonly string[]).includes(value) ? (value as Show) : 'share';
}
