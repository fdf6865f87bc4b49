/** Number formatting for the chart: fixed, locale-independent, compact. */

/** 0.05123 -> "5.12%". */
export function formatPercent(value: number | null, digits = 2): string {
  if (value === null || !Number.isFinite(value)) return '–';
  return `${(value * 100).toFixed(digits)}%`;
}

/** Signed relative change: 0.031 -> "+3.1%". */
export function formatSignedPercent(value: number | null, digits = 1): string {
  if (value === Infinity) return '+∞';
  if (value === null || !Number.isFinite(value)) return '–';
  const sign = value > 0 ? '+' : value < 0 ? '−' : '±';
  return `${sign}${Math.abs(value * 100).toFixed(digits)}%`;
}

/** Integer with thousands separators: 12345 -> "12,345". */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** p-value: two significant digits, "<0.0001" below. */
export function formatPValue(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '–';
  if (value < 1e-4) return '<0.0001';
  return value.toPrecision(2);
}

/** Probability as a whole percentage, with ">99.9%" and "<0.1%" at the ends. */
export function formatProbability(value: number): string {
  if (value > 0.999) return '>99.9%';
  if (value < 0.001) return '<0.1%';
  return `${(value * 100).toFixed(1)}%`;
}

/** Interval of a formatter: "[a, b]". */
export function formatInterval(
  interval: [number, number] | null,
  format: (value: number) => string,
): string {
  if (interval === null) return '';
  return `[${format(interval[0])}, ${format(interval[1])}]`;
}
