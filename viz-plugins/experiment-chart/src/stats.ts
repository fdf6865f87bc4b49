/**
 * Statistics of an A/B experiment on conversion rates. Pure functions only:
 * no DOM, no React, no Superset, so they run unchanged under node:test.
 *
 * Per variant: Wilson interval of the rate; versus control: relative uplift
 * with a Katz log-ratio interval, the fixed-horizon two-proportion z-test,
 * and an always-valid mSPRT (normal mixing prior) whose p-value and
 * confidence sequence may be looked at after every refresh; across variants:
 * the posterior probability of being best under Beta(1, 1) priors, by
 * deterministic quadrature. The verdict uses only the always-valid results.
 */

import {
  GAUSS_LEGENDRE_12,
  betaCdf,
  betaPdf,
  normalQuantile,
  normalSf,
} from './special';

export type Interval = [number, number];

export interface VariantCounts {
  name: string;
  exposed: number;
  converted: number;
}

export interface ExperimentSettings {
  /** Name of the control variant. */
  control: string;
  /** Overall significance level; split over comparisons (Bonferroni). */
  alpha: number;
  /** No verdict to stop before every variant has this many exposed units. */
  minSamplePerVariant: number;
  /** Relative uplift below which a difference does not matter (0.1 = 10%). */
  practicalEffect: number;
  /** Standard deviation of the mSPRT's normal mixing prior on the rate difference. */
  tau: number;
}

export const DEFAULT_SETTINGS: ExperimentSettings = {
  control: 'control',
  alpha: 0.05,
  minSamplePerVariant: 1000,
  practicalEffect: 0.1,
  tau: 0.01,
};

export interface ZTest {
  z: number;
  pValue: number;
}

export interface SequentialTest {
  /** log of the mixture likelihood ratio; reject when >= log(1 / alpha). */
  logLikelihoodRatio: number;
  /** min(1, 1 / ratio): below alpha at any look means significant. */
  pValue: number;
  /** Always-valid interval for the absolute rate difference (variant - control). */
  interval: Interval;
}

export interface VariantResult extends VariantCounts {
  isControl: boolean;
  rate: number | null;
  rateInterval: Interval | null;
  /** Absolute difference of rates, variant - control. */
  difference: number | null;
  /** Relative uplift, rate / control rate - 1. */
  uplift: number | null;
  upliftInterval: Interval | null;
  zTest: ZTest | null;
  sequential: SequentialTest | null;
  /** Always-valid conclusion versus control at the per-comparison alpha. */
  direction: 'better' | 'worse' | 'undecided' | null;
  probabilityBest: number;
}

export type VerdictKind = 'keep_running' | 'winner' | 'no_difference';

export interface Verdict {
  kind: VerdictKind;
  winner: string | null;
  headline: string;
  detail: string;
}

export interface ExperimentResult {
  variants: VariantResult[];
  control: string | null;
  alpha: number;
  /** alpha divided by the number of comparisons with control. */
  comparisonAlpha: number;
  /** Level of the displayed intervals, 1 - comparisonAlpha. */
  confidenceLevel: number;
  verdict: Verdict;
  warnings: string[];
}

/** Wilson score interval for a binomial proportion; [0, 1] without data. */
export function wilsonInterval(converted: number, exposed: number, alpha: number): Interval {
  if (exposed <= 0) return [0, 1];
  const z = normalQuantile(1 - alpha / 2);
  const z2 = z * z;
  const p = converted / exposed;
  const denominator = 1 + z2 / exposed;
  const centre = (p + z2 / (2 * exposed)) / denominator;
  const half =
    (z * Math.sqrt((p * (1 - p)) / exposed + z2 / (4 * exposed * exposed))) / denominator;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * Interval for the relative uplift p_t / p_c - 1 from the Katz log method.
 * Undefined (null) when either arm has no conversions: the log ratio is infinite.
 */
export function upliftInterval(
  treatment: VariantCounts,
  control: VariantCounts,
  alpha: number,
): Interval | null {
  const { converted: xt, exposed: nt } = treatment;
  const { converted: xc, exposed: nc } = control;
  if (xt <= 0 || xc <= 0 || nt <= 0 || nc <= 0) return null;
  const logRatio = Math.log((xt / nt) / (xc / nc));
  const se = Math.sqrt(1 / xt - 1 / nt + 1 / xc - 1 / nc);
  const z = normalQuantile(1 - alpha / 2);
  return [Math.expm1(logRatio - z * se), Math.expm1(logRatio + z * se)];
}

/**
 * Pooled two-proportion z-test, two-sided. Valid only when looked at once, at
 * a sample size fixed in advance. Without any variation (no or only
 * conversions) there is no evidence: z = 0, p = 1.
 */
export function twoProportionZTest(treatment: VariantCounts, control: VariantCounts): ZTest {
  const { converted: xt, exposed: nt } = treatment;
  const { converted: xc, exposed: nc } = control;
  if (nt <= 0 || nc <= 0) return { z: 0, pValue: 1 };
  const pooled = (xt + xc) / (nt + nc);
  const variance = pooled * (1 - pooled) * (1 / nt + 1 / nc);
  if (variance <= 0) return { z: 0, pValue: 1 };
  const z = (xt / nt - xc / nc) / Math.sqrt(variance);
  return { z, pValue: Math.min(1, 2 * normalSf(Math.abs(z))) };
}

/** Plug-in variance of the difference of two observed rates (unpooled). */
export function differenceVariance(treatment: VariantCounts, control: VariantCounts): number {
  const pt = treatment.converted / treatment.exposed;
  const pc = control.converted / control.exposed;
  return (pt * (1 - pt)) / treatment.exposed + (pc * (1 - pc)) / control.exposed;
}

/**
 * mSPRT for the difference of two proportions (Johari, Pekelis, Walsh 2017),
 * with a N(0, tau^2) mixing prior on the difference and the normal
 * approximation of its estimate, variance V:
 *
 *   Lambda = sqrt(V / (V + tau^2)) * exp(tau^2 d^2 / (2 V (V + tau^2)))
 *
 * Under no effect Lambda is (approximately) a nonnegative martingale with mean
 * 1, so by Ville's inequality P(Lambda ever >= 1/alpha) <= alpha: the rule may
 * be checked after every batch without inflating false positives. Inverting
 * the test at every hypothesised difference gives the confidence sequence.
 * Without any observed variation the test carries no evidence.
 */
export function mixtureSequentialTest(
  treatment: VariantCounts,
  control: VariantCounts,
  alpha: number,
  tau: number,
): SequentialTest {
  const noEvidence: SequentialTest = { logLikelihoodRatio: 0, pValue: 1, interval: [-1, 1] };
  if (treatment.exposed <= 0 || control.exposed <= 0) return noEvidence;
  const variance = differenceVariance(treatment, control);
  if (!(variance > 0)) return noEvidence;
  const tau2 = tau * tau;
  const difference = treatment.converted / treatment.exposed - control.converted / control.exposed;
  const logLikelihoodRatio =
    0.5 * Math.log(variance / (variance + tau2)) +
    (tau2 * difference * difference) / (2 * variance * (variance + tau2));
  const halfWidth = Math.sqrt(
    ((variance * (variance + tau2)) / tau2) *
      (2 * Math.log(1 / alpha) + Math.log((variance + tau2) / variance)),
  );
  return {
    logLikelihoodRatio,
    pValue: Math.min(1, Math.exp(-logLikelihoodRatio)),
    interval: [Math.max(-1, difference - halfWidth), Math.min(1, difference + halfWidth)],
  };
}

// Breakpoints of the quadrature, in posterior standard deviations from the
// mean: dense where the mass is, sparse in the tails, wide enough (40 sd)
// for the skewed posteriors of rare conversions.
const QUADRATURE_STEPS = [
  -40, -25, -15, -10, -8, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 25, 40,
];

interface BetaPosterior {
  a: number;
  b: number;
}

function posteriorBreakpoints({ a, b }: BetaPosterior): number[] {
  const mean = a / (a + b);
  const sd = Math.sqrt((a * b) / ((a + b) * (a + b) * (a + b + 1)));
  return QUADRATURE_STEPS.map(step => mean + step * sd);
}

/** Sorted, distinct points of [0, 1] that cut it where any posterior changes. */
function quadratureSegments(posteriors: BetaPosterior[]): number[] {
  const points = [0, 1, ...posteriors.flatMap(posteriorBreakpoints)]
    .filter(point => point >= 0 && point <= 1)
    .sort((x, y) => x - y);
  return points.filter((point, i) => i === 0 || point > points[i - 1]);
}

/**
 * P(variant i has the highest conversion rate) under independent Beta(1, 1)
 * priors: the integral of pdf_i(p) * prod_{j != i} cdf_j(p) over [0, 1].
 *
 * Deterministic: 12-point Gauss-Legendre on segments between breakpoints
 * placed at fixed multiples of every posterior's standard deviation, so each
 * segment is at most one standard deviation of every posterior in its core
 * and the integrand is smooth on it. Within 1e-9 of SciPy's adaptive
 * quadrature on the reference table (edge cases and 5e7-unit arms included).
 */
export function probabilityBest(variants: VariantCounts[]): number[] {
  if (variants.length === 0) return [];
  if (variants.length === 1) return [1];
  const posteriors = variants.map(({ exposed, converted }) => ({
    a: 1 + converted,
    b: 1 + exposed - converted,
  }));
  const cuts = quadratureSegments(posteriors);
  const totals = posteriors.map(() => 0);
  const { nodes, weights } = GAUSS_LEGENDRE_12;
  for (let s = 1; s < cuts.length; s += 1) {
    const half = (cuts[s] - cuts[s - 1]) / 2;
    const middle = (cuts[s] + cuts[s - 1]) / 2;
    nodes.forEach((node, k) => {
      const x = middle + half * node;
      const cdfs = posteriors.map(({ a, b }) => betaCdf(x, a, b));
      posteriors.forEach(({ a, b }, i) => {
        let others = 1;
        cdfs.forEach((cdf, j) => {
          if (j !== i) others *= cdf;
        });
        if (others > 0) totals[i] += weights[k] * half * betaPdf(x, a, b) * others;
      });
    });
  }
  return totals;
}

/** Counts cleaned of impossible values, with a warning for each fix. */
export function sanitizeCounts(
  rows: VariantCounts[],
  warnings: string[],
): VariantCounts[] {
  return rows.map(({ name, exposed, converted }) => {
    const n = Math.max(0, Math.round(Number.isFinite(exposed) ? exposed : 0));
    let x = Math.max(0, Math.round(Number.isFinite(converted) ? converted : 0));
    if (x > n) {
      warnings.push(`${name}: ${x} conversions exceed ${n} exposed units; capped.`);
      x = n;
    }
    return { name, exposed: n, converted: x };
  });
}

function compareToControl(
  variant: VariantCounts,
  control: VariantCounts,
  comparisonAlpha: number,
  tau: number,
): Pick<
  VariantResult,
  'difference' | 'uplift' | 'upliftInterval' | 'zTest' | 'sequential' | 'direction'
> {
  const rate = (counts: VariantCounts) =>
    counts.exposed > 0 ? counts.converted / counts.exposed : null;
  const rt = rate(variant);
  const rc = rate(control);
  const sequential = mixtureSequentialTest(variant, control, comparisonAlpha, tau);
  let direction: VariantResult['direction'] = 'undecided';
  if (sequential.pValue <= comparisonAlpha) {
    direction = sequential.interval[0] > 0 ? 'better' : 'worse';
  }
  return {
    difference: rt !== null && rc !== null ? rt - rc : null,
    uplift: rt !== null && rc !== null && rc > 0 ? rt / rc - 1 : null,
    upliftInterval: upliftInterval(variant, control, comparisonAlpha),
    zTest: twoProportionZTest(variant, control),
    sequential,
    direction,
  };
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

function verdictFor(
  variants: VariantResult[],
  control: VariantResult | undefined,
  settings: ExperimentSettings,
): Verdict {
  const keepRunning = (detail: string): Verdict => ({
    kind: 'keep_running',
    winner: null,
    headline: 'Keep running',
    detail,
  });
  if (variants.length < 2) return keepRunning('Needs at least two variants.');
  if (!control) return keepRunning(`Control variant "${settings.control}" not found.`);
  const smallest = Math.min(...variants.map(v => v.exposed));
  if (smallest < settings.minSamplePerVariant) {
    return keepRunning(
      `Every variant needs ${settings.minSamplePerVariant.toLocaleString('en-US')} units ` +
        `before a decision (smallest so far: ${smallest.toLocaleString('en-US')}).`,
    );
  }
  const treatments = variants.filter(v => !v.isControl);
  const better = treatments.filter(v => v.direction === 'better');
  if (better.length > 0) {
    const winner = better.reduce((best, v) => ((v.rate ?? 0) > (best.rate ?? 0) ? v : best));
    return {
      kind: 'winner',
      winner: winner.name,
      headline: `Stop: ${winner.name} wins`,
      detail: `${winner.name} converts better than ${control.name} (always-valid ${describeP(
        winner.sequential?.pValue ?? 1,
      )}).`,
    };
  }
  if (treatments.every(v => v.direction === 'worse')) {
    return {
      kind: 'winner',
      winner: control.name,
      headline: `Stop: ${control.name} wins`,
      detail: `Every other variant converts worse than ${control.name}.`,
    };
  }
  const margin = settings.practicalEffect * (control.rate ?? 0);
  const negligible = treatments.every(v => {
    const interval = v.sequential?.interval;
    return interval !== undefined && margin > 0 && interval[0] > -margin && interval[1] < margin;
  });
  if (negligible) {
    return {
      kind: 'no_difference',
      winner: null,
      headline: 'Stop: no meaningful difference',
      detail: `Every variant is within ±${percent(settings.practicalEffect)} of ${control.name}.`,
    };
  }
  return keepRunning('No variant is decisively different yet.');
}

/** "p = 0.012" or "p < 0.0001", for sentences. */
export function describeP(p: number): string {
  return p < 1e-4 ? 'p < 0.0001' : `p = ${p.toPrecision(2)}`;
}

/** Everything the chart shows, from per-variant counts. */
export function analyzeExperiment(
  rows: VariantCounts[],
  settings: ExperimentSettings,
): ExperimentResult {
  const warnings: string[] = [];
  const counts = sanitizeCounts(rows, warnings);
  const controlCounts = counts.find(v => v.name === settings.control);
  const comparisons = Math.max(1, counts.length - 1);
  const comparisonAlpha = settings.alpha / comparisons;
  const best = probabilityBest(counts);
  const variants: VariantResult[] = counts.map((v, i) => {
    const isControl = v === controlCounts;
    const base = {
      ...v,
      isControl,
      rate: v.exposed > 0 ? v.converted / v.exposed : null,
      rateInterval: v.exposed > 0 ? wilsonInterval(v.converted, v.exposed, comparisonAlpha) : null,
      probabilityBest: best[i],
    };
    if (isControl || !controlCounts) {
      return {
        ...base,
        difference: null,
        uplift: null,
        upliftInterval: null,
        zTest: null,
        sequential: null,
        direction: null,
      };
    }
    return { ...base, ...compareToControl(v, controlCounts, comparisonAlpha, settings.tau) };
  });
  // Control first, then the others by name: a stable order across refreshes.
  variants.sort((p, q) => Number(q.isControl) - Number(p.isControl) || p.name.localeCompare(q.name));
  const control = variants.find(v => v.isControl);
  return {
    variants,
    control: control ? control.name : null,
    alpha: settings.alpha,
    comparisonAlpha,
    confidenceLevel: 1 - comparisonAlpha,
    verdict: verdictFor(variants, control, settings),
    warnings,
  };
}
