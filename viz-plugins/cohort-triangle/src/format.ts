/** Number and date formatting of the cohort triangle. */

const COUNT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function formatCount(value: number): string {
  return COUNT.format(value);
}

/** 0.1234 -> "12.3%"; no share (an empty cohort) -> "–". */
export function formatShare(share: number | null): string {
  return share === null ? '–' : `${(share * 100).toFixed(1)}%`;
}

/** A cohort's start as "Mon 9 Nov 2026" (UTC): the week's Monday. */
export function formatCohort(epochMillis: number): string {
  const day = new Date(epochMillis);
  return `${day.getUTCDate()} ${MONTHS[day.getUTCMonth()]} ${day.getUTCFullYear()}`;
}

/** ISO date of a cohort (UTC), for data attributes. */
export function isoDay(epochMillis: number): string {
  return new Date(epochMillis).toISOString().slice(0, 10);
}
