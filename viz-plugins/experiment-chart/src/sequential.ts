/**
 * Always-valid tests for A/B experiments on conversions, exact for Bernoulli
 * data at any allocation and any rate (no normal approximation).
 *
 * Under the null (every arm converts at the same rate, units assigned at
 * random with the intended weights), the arm of each unit is drawn with the
 * intended weights whatever its outcome. So, in the order in which units
 * convert, the arm of every converting unit is an independent draw with
 * probabilities proportional to the intended weights, and the unknown rate
 * drops out. A Dirichlet-multinomial (for two arms: beta-binomial) mixture of
 * the likelihood of those draws over their multinomial likelihood under the
 * null is a nonnegative martingale with mean 1; by Ville's inequality it
 * ever exceeds 1/alpha with probability at most alpha, at every look, however
 * the looks are placed. It depends only on the cumulative counts, so hourly
 * totals are enough, and delayed conversions do not break it.
 *
 * The same martingale over all exposed units (instead of converted ones) is
 * the sequential sample ratio mismatch test (Lindon and Malek, 2022).
 *
 * Mixing prior: Dirichlet with concentration m times the null shares,
 * m = 1 / (s^2 * w (1 - w)) with w the smallest null share, so the prior
 * standard deviation of that arm's share in log-odds is about s.
 */
import { logGamma } from './special';

export type Interval = [number, number];

/** Dirichlet concentration for null shares `shares` and log-odds scale `scale`. */
export function mixtureConcentration(shares: number[], scale: number): number {
  const smallest = Math.min(...shares);
  return 1 / (scale * scale * smallest * (1 - smallest));
}

/**
 * log of the Dirichlet-multinomial mixture over the multinomial likelihood
 * of `counts` with cell probabilities `shares` (which sum to 1). 0 without
 * counts: no evidence either way.
 */
export function mixtureLogEvidence(counts: number[], shares: number[], scale: number): number {
  const total = counts.reduce((sum, x) => sum + x, 0);
  if (total === 0) return 0;
  const m = mixtureConcentration(shares, scale);
  let value = logGamma(m) - logGamma(m + total);
  counts.forEach((x, k) => {
    if (x === 0) return;
    const prior = m * shares[k];
    value += logGamma(prior + x) - logGamma(prior) - x * Math.log(shares[k]);
  });
  return value;
}

/** log-likelihood of `first` of `first + second` draws at share q, up to a constant. */
function binaryLogLikelihood(first: number, second: number, q: number): number {
  // 0 * log(0) is 0 here: no draws of an arm say nothing about its share.
  const a = first === 0 ? 0 : first * Math.log(q);
  const b = second === 0 ? 0 : second * Math.log1p(-q);
  return a + b;
}

/** The root of a monotone `f` on [low, high] where f(low) and f(high) differ in sign. */
function bisect(f: (q: number) => number, low: number, high: number): number {
  let lo = low;
  let hi = high;
  const rising = f(hi) > f(lo);
  for (let i = 0; i < 200 && hi - lo > 0; i += 1) {
    const middle = (lo + hi) / 2;
    if (middle <= lo || middle >= hi) break;
    if ((f(middle) > 0) === rising) hi = middle;
    else lo = middle;
  }
  return (lo + hi) / 2;
}

/**
 * Confidence sequence for the share of `first` among converting units of two
 * arms: every null share q whose mixture martingale stays below 1/alpha.
 * The mixture is centred on `nullShare`; it is one fixed mixture, so
 * inverting it at every q gives an interval valid at every look.
 */
export function shareConfidenceSequence(
  first: number,
  second: number,
  nullShare: number,
  alpha: number,
  scale: number,
): Interval {
  const total = first + second;
  if (total === 0) return [0, 1];
  const m = mixtureConcentration([nullShare, 1 - nullShare], scale);
  const a = m * nullShare;
  const b = m * (1 - nullShare);
  const logMarginal =
    logGamma(a + first) + logGamma(b + second) - logGamma(m + total) - logGamma(a) - logGamma(b) + logGamma(m);
  const floor = logMarginal - Math.log(1 / alpha);
  const excess = (q: number) => binaryLogLikelihood(first, second, q) - floor;
  const mode = first / total;
  const lower = excess(0) >= 0 ? 0 : bisect(excess, 0, mode);
  const upper = excess(1) >= 0 ? 1 : bisect(excess, mode, 1);
  return [lower, upper];
}

/** Rate ratio minus one from the share q of one arm among converters, null share w. */
export function upliftFromShare(q: number, nullShare: number): number {
  if (q >= 1) return Infinity;
  return (q * (1 - nullShare)) / (nullShare * (1 - q)) - 1;
}

/** Counts of two arms and their traffic, for a projection. */
export interface ProjectedPair {
  first: { exposed: number; converted: number; unitsPerDay: number };
  second: { exposed: number; converted: number; unitsPerDay: number };
  nullShare: number;
}

/**
 * Whole days until the test of `first` against `second` would reach 1/alpha
 * if traffic and the observed rates held: a plug-in projection to read, not
 * a guarantee (the test itself stays valid whatever happens). 0 when already
 * reached; null when not within `horizonDays`.
 */
export function daysToDecision(pair: ProjectedPair, alpha: number, scale: number, horizonDays = 365): number | null {
  const { first, second, nullShare } = pair;
  if (first.exposed <= 0 || second.exposed <= 0) return null;
  const rates = [first.converted / first.exposed, second.converted / second.exposed];
  const threshold = Math.log(1 / alpha);
  for (let day = 0; day <= horizonDays; day += 1) {
    const converted = [
      first.converted + day * first.unitsPerDay * rates[0],
      second.converted + day * second.unitsPerDay * rates[1],
    ];
    if (mixtureLogEvidence(converted, [nullShare, 1 - nullShare], scale) >= threshold) return day;
  }
  return null;
}
