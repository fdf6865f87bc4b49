/**
 * Always-valid tests for A/B experiments on conversions, exact for Bernoulli
 * data at any allocation and any rate (no normal approximation).
 *
 * Under the null (every arm converts at the same rate, units assigned at
 * random with the intended weights), the arm of each unit is drawn with the
 * intended weights whatever its outcome. So, in the order in which units
 * convert, the arm of every converting unit is an independent draw with
 * probabilities proportional to the intended weights, and the unknown rate
 * drops out. A mixture, over the arms' shares, of the likelihood of those
 * draws over their multinomial likelihood under the null is a nonnegative
 * martingale with mean 1; by Ville's inequality it
 * ever exceeds 1/alpha with probability at most alpha, at every look, however
 * the looks are placed. It depends only on the cumulative counts, so hourly
 * totals are enough, and delayed conversions do not break it.
 *
 * The same martingale over all exposed units (instead of converted ones) is
 * the sequential sample ratio mismatch test (Lindon and Malek, 2022).
 *
 * Mixing prior of the SRM test: Dirichlet with concentration m times the
 * null shares, m = 1 / (s^2 * w (1 - w)) with w the smallest null share, so
 * the prior standard deviation of that arm's share in log-odds is about s.
 *
 * Mixing prior of the test between two arms: (1 - BROAD_WEIGHT) / 2 at each
 * of the two shares where one arm's rate is (1 + u) times the other's (u the
 * tuned uplift, the smallest uplift that matters) and BROAD_WEIGHT on the
 * beta prior above. The point masses make the test fastest for uplifts near
 * u; the beta part keeps it consistent against every other uplift and keeps
 * its confidence sequence shrinking. Any mixing prior gives a martingale, so
 * validity holds for every u and s.
 */
import { logGamma } from './special';

export type Interval = [number, number];

/** Prior mass of the broad beta component in the test between two arms. */
export const BROAD_WEIGHT = 0.2;

/** The mixing prior of the test between two arms, around a null share. */
export interface PairMixing {
  /** Relative uplift the point masses sit at (0.1 = 10%); 0 leaves the beta alone. */
  tunedUplift: number;
  /** Log-odds scale of the beta component. */
  scale: number;
}

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
 * Shares of the first arm among converters at which its rate is 1 / (1 + u)
 * and (1 + u) times the second arm's, for null share `nullShare`.
 */
export function tunedShares(nullShare: number, uplift: number): Interval {
  const up = (nullShare * (1 + uplift)) / (nullShare * (1 + uplift) + 1 - nullShare);
  const down = nullShare / (nullShare + (1 - nullShare) * (1 + uplift));
  return [down, up];
}

function logSumExp(values: number[]): number {
  const top = Math.max(...values);
  if (top === -Infinity) return -Infinity;
  return top + Math.log(values.reduce((sum, v) => sum + Math.exp(v - top), 0));
}

/**
 * log of the mixture probability of one ordered sequence of converters' arms,
 * `first` of them in the first arm and `second` in the second.
 */
function pairLogMarginal(first: number, second: number, nullShare: number, mixing: PairMixing): number {
  const m = mixtureConcentration([nullShare, 1 - nullShare], mixing.scale);
  const a = m * nullShare;
  const b = m * (1 - nullShare);
  const broad =
    logGamma(a + first) + logGamma(b + second) - logGamma(m + first + second) - logGamma(a) - logGamma(b) + logGamma(m);
  if (!(mixing.tunedUplift > 0)) return broad;
  const [down, up] = tunedShares(nullShare, mixing.tunedUplift);
  const half = Math.log((1 - BROAD_WEIGHT) / 2);
  return logSumExp([
    Math.log(BROAD_WEIGHT) + broad,
    half + binaryLogLikelihood(first, second, down),
    half + binaryLogLikelihood(first, second, up),
  ]);
}

/**
 * log of the test martingale of the first arm against the second: the
 * mixture over the binomial likelihood of the converters' arms at the null
 * share. 0 without converters.
 */
export function pairLogEvidence(first: number, second: number, nullShare: number, mixing: PairMixing): number {
  if (first + second === 0) return 0;
  return pairLogMarginal(first, second, nullShare, mixing) - binaryLogLikelihood(first, second, nullShare);
}

/**
 * Confidence sequence for the share of `first` among converting units of two
 * arms: every null share q whose mixture martingale stays below 1/alpha.
 * The mixture is centred on `nullShare`; it is one fixed mixture, so
 * inverting it at every q gives an interval valid at every look (an
 * interval, since the log-likelihood is concave in q).
 */
export function shareConfidenceSequence(
  first: number,
  second: number,
  nullShare: number,
  alpha: number,
  mixing: PairMixing,
): Interval {
  const total = first + second;
  if (total === 0) return [0, 1];
  const floor = pairLogMarginal(first, second, nullShare, mixing) - Math.log(1 / alpha);
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
export function daysToDecision(
  pair: ProjectedPair,
  alpha: number,
  mixing: PairMixing,
  horizonDays = 365,
): number | null {
  const { first, second, nullShare } = pair;
  if (first.exposed <= 0 || second.exposed <= 0) return null;
  const rates = [first.converted / first.exposed, second.converted / second.exposed];
  const threshold = Math.log(1 / alpha);
  for (let day = 0; day <= horizonDays; day += 1) {
    const converted = [
      first.converted + day * first.unitsPerDay * rates[0],
      second.converted + day * second.unitsPerDay * rates[1],
    ];
    if (pairLogEvidence(converted[0], converted[1], nullShare, mixing) >= threshold) return day;
  }
  return null;
}
