/**
 * The chart's form_data fields, their defaults, and how raw (possibly string)
 * control values become typed settings. Shared by buildQuery, transformProps
 * and the control panel so the three can never disagree on a name or default.
 */
import { DEFAULT_SETTINGS, type ExperimentSettings } from './stats';

/** form_data keys, as the dashboard YAML sets them. */
export const FIELDS = {
  experiment: 'experiment',
  controlVariant: 'control_variant',
  unit: 'unit',
  alpha: 'alpha',
  minSamplePerVariant: 'min_sample_per_variant',
  practicalEffect: 'practical_effect',
  mixingScale: 'mixing_scale',
  tunedUplift: 'tuned_uplift',
  intendedSplit: 'intended_split',
  timeColumn: 'time_column',
  experimentColumn: 'experiment_column',
  variantColumn: 'variant_column',
  unitColumn: 'unit_column',
  exposedColumn: 'exposed_column',
  convertedColumn: 'converted_column',
} as const;

/** Columns of the `experiments` dataset; each can be renamed in the controls. */
export const DEFAULT_COLUMNS = {
  experiment: 'experiment',
  variant: 'variant',
  unit: 'unit',
  exposed: 'exposed',
  converted: 'converted',
  time: '__time',
};

export const UNITS = ['sessions', 'visitors'] as const;
export const DEFAULT_UNIT = 'sessions';

/** Labels of the two summed metrics in the query result. */
export const EXPOSED_LABEL = 'exposed_units';
export const CONVERTED_LABEL = 'converted_units';

export interface QuerySettings {
  experiment: string;
  unit: string;
  experimentColumn: string;
  variantColumn: string;
  unitColumn: string;
  exposedColumn: string;
  convertedColumn: string;
  timeColumn: string;
}

type FormData = Record<string, unknown>;

function text(formData: FormData, key: string, fallback: string): string {
  const value = formData[key];
  if (value === undefined || value === null) return fallback;
  return String(value).trim();
}

function number(formData: FormData, key: string, fallback: number): number {
  const value = Number(formData[key]);
  return formData[key] === '' || !Number.isFinite(value) ? fallback : value;
}

/**
 * "control=1, B=2" (or "control: 50, B: 50") to weights by variant name;
 * entries that do not parse are ignored, so variants left out weigh 1.
 */
export function parseWeights(spec: string): Record<string, number> {
  const weights: Record<string, number> = {};
  spec.split(',').forEach(entry => {
    const match = /^\s*(.+?)\s*[=:]\s*([0-9.]+)\s*$/.exec(entry);
    const weight = match ? Number(match[2]) : NaN;
    if (match && weight > 0) weights[match[1]] = weight;
  });
  return weights;
}

export function readQuerySettings(formData: FormData): QuerySettings {
  return {
    experiment: text(formData, FIELDS.experiment, ''),
    unit: text(formData, FIELDS.unit, DEFAULT_UNIT),
    experimentColumn: text(formData, FIELDS.experimentColumn, DEFAULT_COLUMNS.experiment),
    variantColumn: text(formData, FIELDS.variantColumn, DEFAULT_COLUMNS.variant),
    unitColumn: text(formData, FIELDS.unitColumn, DEFAULT_COLUMNS.unit),
    exposedColumn: text(formData, FIELDS.exposedColumn, DEFAULT_COLUMNS.exposed),
    convertedColumn: text(formData, FIELDS.convertedColumn, DEFAULT_COLUMNS.converted),
    timeColumn: text(formData, FIELDS.timeColumn, DEFAULT_COLUMNS.time),
  };
}

/** Statistical settings, clamped to ranges where the methods make sense. */
export function readStatSettings(formData: FormData): ExperimentSettings {
  const alpha = number(formData, FIELDS.alpha, DEFAULT_SETTINGS.alpha);
  const minSample = number(formData, FIELDS.minSamplePerVariant, DEFAULT_SETTINGS.minSamplePerVariant);
  const practical = number(formData, FIELDS.practicalEffect, DEFAULT_SETTINGS.practicalEffect);
  const scale = number(formData, FIELDS.mixingScale, DEFAULT_SETTINGS.mixingScale);
  const tuned = number(formData, FIELDS.tunedUplift, DEFAULT_SETTINGS.tunedUplift);
  return {
    control: text(formData, FIELDS.controlVariant, DEFAULT_SETTINGS.control),
    alpha: alpha > 0 && alpha < 0.5 ? alpha : DEFAULT_SETTINGS.alpha,
    minSamplePerVariant: Math.max(0, Math.round(minSample)),
    practicalEffect: practical > 0 ? practical : DEFAULT_SETTINGS.practicalEffect,
    mixingScale: scale > 0 ? scale : DEFAULT_SETTINGS.mixingScale,
    tunedUplift: tuned >= 0 ? tuned : DEFAULT_SETTINGS.tunedUplift,
    intendedWeights: parseWeights(text(formData, FIELDS.intendedSplit, '')),
    srmAlpha: DEFAULT_SETTINGS.srmAlpha,
  };
}
