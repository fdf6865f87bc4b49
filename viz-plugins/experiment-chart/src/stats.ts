/**
 * Statistics of an A/B experiment on conversion rates. Pure functions only:
 * no DOM, no React, no Superset, so they run unchanged under node:test.
 *
 * Input: counts per variant and look (an hour of first exposure), from the
 * experiment's start. Per pair of arms: the exact always-valid mixture test
 * of sequential.ts, with the running maximum of its evidence (so the running
 * minimum of p) and the running intersection of its confidence sequence, so
 * a conclusion once reached stays. Before any verdict: the sequential sample
 * ratio mismatch test against the intended weights. For reading only, at the
 * latest look: Wilson intervals, the fixed-horizon z-test and P(best) under
 * Beta(1, 1) priors (deterministic quadrature).
 */

import {
  GAUSS_LEGENDRE_12,
  betaCdf,
  betaPdf,
  normalQuantile,
  normalSf,
} from './special';
import {
  type Interval,
  type PairMixing,
  daysToDecision,
  mixtureLogEvidence,
  pairLogEvidence,
  shareConfidenceSequence,
  upliftFromShare,
} from './sequential';

export type { Interval } from './sequential';

export interface VariantCounts {
  name: string;
  exposed: number;
  converted: number;
}

/** Counts of one variant in one look (hour of first exposure); not cumulative. */
export interface LookCounts extends VariantCounts {
  /** Orders the looks; rows without a time form one look. */
  time?: number;
}

/** Name under which rows without a variant are listed apart. */
export const NO_VARIANT = '(no variant)';

export interface ExperimentSettings {
  /** Name of the control variant. */
  control: string;
  /** Overall significance level; split over the pairs of arms (Bonferroni). */
  alpha: number;
  /** No verdict to stop before every variant has this many exposed units. */
  minSamplePerVariant: number;
  /** Relative uplift below which a difference does not matter (0.1 = 10%). */
  practicalEffect: number;
  /** Prior standard deviation, in log-odds, of an arm's share under the beta mixture. */
  mixingScale: number;
  /** Relative uplift the test between two arms is tuned for (0.1 = 10%); 0: the beta mixture alone. */
  tunedUplift: number;
  /** Intended weight per variant; variants not listed weigh 1. */
  intendedWeights: Record<string, number>;
  /** Level of the sample ratio mismatch test. */
  srmAlpha: number;
}

export const DEFAULT_SETTINGS: ExperimentSettings = {
  control: 'control',
  alpha: 0.05,
  minSamplePerVariant: 1000,
  practicalEffect: 0.1,
  mixingScale: 0.1,
  tunedUplift: 0.1,
  intendedWeights: {},
  srmAlpha: 0.001,
};

export interface ZTest {
  z: number;
  pValue: number;
}

/** Always-valid comparison of two arms, over the whole history. */
export interface PairTest {
  /** Running maximum of the log mixture evidence over the looks. */
  logEvidence: number;
  /** Running minimum of min(1, 1 / evidence); null before any conversion. */
  pValue: number | null;
  /** Running intersection of the confidence sequences of the rate ratio - 1. */
  upliftInterval: Interval | null;
  /** Whether the arm (first of the pair) converts better or worse, or not decided. */
  direction: 'better' | 'worse' | 'undecided';
}

export interface VariantResult extends VariantCounts {
  isControl: boolean;
  rate: number | null;
  /** Wilson interval at the latest look: valid only at a planned sample size. */
  rateInterval: Interval | null;
  /** Relative uplift, rate / control rate - 1. */
  uplift: number | null;
  /** Fixed-horizon z-test against control at the latest look. */
  zTest: ZTest | null;
  /** Always-valid comparison with control. */
  sequential: PairTest | null;
  /** Always-valid conclusion versus control. */
  direction: 'better' | 'worse' | 'undecided' | null;
  probabilityBest: number;
}

export interface SampleRatioCheck {
  /** Running minimum of the sequential SRM p-value. */
  pValue: number;
  passed: boolean;
  observed: { name: string; exposed: number; share: number; intendedShare: number }[];
}

export interface Forecast {
  /** Whole days; null when no decision is in sight within a year. */
  days: number | null;
  /** The arm (against control) that would decide first. */
  arm: string | null;
}

export type VerdictKind = 'keep_running' | 'winner' | 'no_difference' | 'broken_split' | 'time_filtered';

export interface Verdict {
  kind: VerdictKind;
  winner: string | null;
  headline: string;
  detail: string;
}

export interface ExperimentResult {
  variants: VariantResult[];
  /** Arms left out of every test: no units, or rows without a variant. */
  leftOut: VariantCounts[];
  control: string | null;
  alpha: number;
  /** alpha divided by the number of pairs of arms. */
  comparisonAlpha: number;
  /** Level of the displayed intervals, 1 - comparisonAlpha. */
  confidenceLevel: number;
  sampleRatio: SampleRatioCheck | null;
  looks: number;
  verdict: Verdict;
  /** While running: projected days to a decision at the current traffic, if the observed rates held. */
  forecast: Forecast | null;
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
 * Pooled two-proportion z-test, two-sided. Valid only when looked at once, at
 * a sample size fixed in advance. Undefined (null) without any variation.
 */
export function twoProportionZTest(treatment: VariantCounts, control: VariantCounts): ZTest | null {
  const { converted: xt, exposed: nt } = treatment;
  const { converted: xc, exposed: nc } = control;
  if (nt <= 0 || nc <= 0) return null;
  const pooled = (xt + xc) / (nt + nc);
  const variance = pooled * (1 - pooled) * (1 / nt + 1 / nc);
  if (!(variance > 0)) return null;
  const z = (xt / nt - xc / nc) / Math.sqrt(variance);
  return { z, pValue: Math.min(1, 2 * normalSf(Math.abs(z))) };
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
export function sanitizeCounts<T extends VariantCounts>(rows: T[], warnings: string[]): T[] {
  return rows.map(row => {
    const { name, exposed, converted } = row;
    const n = Math.max(0, Math.round(Number.isFinite(exposed) ? exposed : 0));
    let x = Math.max(0, Math.round(Number.isFinite(converted) ? converted : 0));
    if (x > n) {
      warnings.push(`${name}: ${x} conversions exceed ${n} exposed units; capped.`);
      x = n;
    }
    return { ...row, exposed: n, converted: x };
  });
}


/** Cumulative counts per arm after each look, arms in the order of `names`. */
function cumulativeLooks(rows: LookCounts[], names: string[]): VariantCounts[][] {
  const times = [...new Set(rows.map(row => row.time ?? 0))].sort((a, b) => a - b);
  const index = new Map(names.map((name, i) => [name, i]));
  const running = names.map(name => ({ name, exposed: 0, converted: 0 }));
  const byTime = new Map<number, LookCounts[]>();
  rows.forEach(row => {
    const time = row.time ?? 0;
    byTime.set(time, [...(byTime.get(time) ?? []), row]);
  });
  return times.map(time => {
    (byTime.get(time) ?? []).forEach(row => {
      const i = index.get(row.name);
      if (i === undefined) return;
      running[i].exposed += row.exposed;
      running[i].converted += row.converted;
    });
    return running.map(counts => ({ ...counts }));
  });
}

/** Intended share of each arm, from the weights (1 where not given). */
function intendedShares(names: string[], weights: Record<string, number>): number[] {
  const raw = names.map(name => {
    const weight = weights[name];
    return weight !== undefined && weight > 0 ? weight : 1;
  });
  const total = raw.reduce((sum, w) => sum + w, 0);
  return raw.map(w => w / total);
}

/** The mixing prior of every test between two arms. */
function pairMixing(settings: ExperimentSettings): PairMixing {
  return { tunedUplift: settings.tunedUplift, scale: settings.mixingScale };
}

/** Running extremes of the always-valid test of arm i against arm j. */
class PairReplay {
  private logEvidence = 0;

  private share: Interval = [0, 1];

  private readonly nullShare: number;

  constructor(
    private readonly i: number,
    private readonly j: number,
    shares: number[],
    private readonly alpha: number,
    private readonly mixing: PairMixing,
  ) {
    this.nullShare = shares[i] / (shares[i] + shares[j]);
  }

  add(look: VariantCounts[]): void {
    const first = look[this.i].converted;
    const second = look[this.j].converted;
    const evidence = pairLogEvidence(first, second, this.nullShare, this.mixing);
    this.logEvidence = Math.max(this.logEvidence, evidence);
    const interval = shareConfidenceSequence(first, second, this.nullShare, this.alpha, this.mixing);
    this.share = [Math.max(this.share[0], interval[0]), Math.min(this.share[1], interval[1])];
  }

  /** The test so far; `look` is the latest cumulative look. */
  result(look: VariantCounts[]): PairTest {
    const { share, nullShare, logEvidence } = this;
    const anyConversion = look[this.i].converted + look[this.j].converted > 0;
    const significant = logEvidence >= Math.log(1 / this.alpha);
    let direction: PairTest['direction'] = 'undecided';
    if (significant && share[0] > nullShare) direction = 'better';
    if (significant && share[1] < nullShare) direction = 'worse';
    return {
      logEvidence,
      pValue: anyConversion ? Math.min(1, Math.exp(-logEvidence)) : null,
      upliftInterval:
        anyConversion && share[0] <= share[1]
          ? [upliftFromShare(share[0], nullShare), upliftFromShare(share[1], nullShare)]
          : null,
      direction,
    };
  }
}

/** Sequential sample ratio mismatch test on exposed units, running minimum of p. */
class SampleRatioReplay {
  private logEvidence = 0;

  constructor(
    private readonly shares: number[],
    private readonly settings: ExperimentSettings,
  ) {}

  add(look: VariantCounts[]): void {
    const evidence = mixtureLogEvidence(look.map(v => v.exposed), this.shares, this.settings.mixingScale);
    this.logEvidence = Math.max(this.logEvidence, evidence);
  }

  result(look: VariantCounts[]): SampleRatioCheck {
    const total = look.reduce((sum, v) => sum + v.exposed, 0);
    const pValue = Math.min(1, Math.exp(-this.logEvidence));
    return {
      pValue,
      passed: pValue > this.settings.srmAlpha,
      observed: look.map((v, k) => ({
        name: v.name,
        exposed: v.exposed,
        share: total > 0 ? v.exposed / total : 0,
        intendedShare: this.shares[k],
      })),
    };
  }
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

function count(value: number): string {
  return value.toLocaleString('en-US');
}

/** "p = 0.012" or "p < 0.0001", for sentences. */
export function describeP(p: number | null): string {
  if (p === null) return 'p undefined';
  return p < 1e-4 ? 'p < 0.0001' : `p = ${p.toPrecision(2)}`;
}

function keepRunning(detail: string): Verdict {
  return { kind: 'keep_running', winner: null, headline: 'Keep running', detail };
}

function brokenSplit(check: SampleRatioCheck): Verdict {
  const observed = check.observed
    .map(v => `${v.name} ${count(v.exposed)} (${percent(v.share)}, intended ${percent(v.intendedShare)})`)
    .join(', ');
  return {
    kind: 'broken_split',
    winner: null,
    headline: "Split is broken: don't trust this experiment",
    detail: `Sample ratio mismatch, always-valid ${describeP(check.pValue)}: ${observed}.`,
  };
}

/** Arm i beats arm j by the always-valid rule. */
type Beats = (i: number, j: number) => boolean;

function winnerVerdict(
  arms: VariantResult[],
  controlIndex: number,
  beats: Beats,
  settings: ExperimentSettings,
): Verdict {
  const control = arms[controlIndex];
  const winner = arms.findIndex((_, i) => arms.every((__, j) => j === i || beats(i, j)));
  if (winner >= 0) {
    const name = arms[winner].name;
    const others = arms.length > 2 ? ` and every other arm` : '';
    return {
      kind: 'winner',
      winner: name,
      headline: `Stop: ${name} wins`,
      detail:
        winner === controlIndex
          ? `Every other variant converts worse than ${name}.`
          : `${name} converts better than ${control.name}${others} (always-valid ${describeP(
              arms[winner].sequential?.pValue ?? null,
            )}).`,
    };
  }
  const better = arms.filter(v => v.direction === 'better').map(v => v.name);
  if (better.length > 0) {
    return keepRunning(
      `${better.join(' and ')} beat${better.length === 1 ? 's' : ''} ${control.name}; ` +
        'which arm is best is undecided.',
    );
  }
  const treatments = arms.filter(v => !v.isControl);
  const margin = settings.practicalEffect;
  const negligible = treatments.every(v => {
    const interval = v.sequential?.upliftInterval;
    return interval !== null && interval !== undefined && interval[0] > -margin && interval[1] < margin;
  });
  if (negligible) {
    return {
      kind: 'no_difference',
      winner: null,
      headline: 'Stop: no meaningful difference',
      detail: `Every variant is within ±${percent(margin)} of ${control.name}.`,
    };
  }
  return keepRunning('No variant is decisively different yet.');
}

interface AnalysisInput {
  arms: VariantResult[];
  controlIndex: number;
  beats: Beats;
  sampleRatio: SampleRatioCheck | null;
}

function verdictFor(input: AnalysisInput, settings: ExperimentSettings, timeFiltered: boolean): Verdict {
  const { arms, controlIndex, sampleRatio } = input;
  if (timeFiltered) {
    return {
      kind: 'time_filtered',
      winner: null,
      headline: 'No verdict: a time filter cuts this experiment',
      detail:
        "The always-valid test needs the experiment's whole history. Remove the time range " +
        '(dashboard or chart filter) to see the verdict.',
    };
  }
  if (arms.length < 2) return keepRunning('Needs at least two variants with units.');
  if (controlIndex < 0) return keepRunning(`Control variant "${settings.control}" not found.`);
  if (sampleRatio && !sampleRatio.passed) return brokenSplit(sampleRatio);
  const smallest = Math.min(...arms.map(v => v.exposed));
  if (smallest < settings.minSamplePerVariant) {
    return keepRunning(
      `Every variant needs ${count(settings.minSamplePerVariant)} units before a decision ` +
        `(smallest so far: ${count(smallest)}).`,
    );
  }
  return winnerVerdict(arms, controlIndex, input.beats, settings);
}

/** Arms in display order: control first, then by name (stable across refreshes). */
function armNames(rows: LookCounts[], control: string): { arms: string[]; leftOut: VariantCounts[] } {
  const totals = new Map<string, VariantCounts>();
  rows.forEach(({ name, exposed, converted }) => {
    const current = totals.get(name) ?? { name, exposed: 0, converted: 0 };
    current.exposed += exposed;
    current.converted += converted;
    totals.set(name, current);
  });
  const all = [...totals.values()];
  const kept = all.filter(v => v.name !== NO_VARIANT && v.exposed > 0);
  kept.sort((p, q) => Number(q.name === control) - Number(p.name === control) || p.name.localeCompare(q.name));
  return { arms: kept.map(v => v.name), leftOut: all.filter(v => !kept.includes(v)) };
}

/**
 * The experiment replayed look by look: feed it the cumulative counts of each
 * look in order (arms in the order of `names`), read the verdict at any time.
 * Every test keeps its running extremes, so what it concludes stays.
 */
export class ExperimentReplay {
  readonly comparisonAlpha: number;

  readonly controlIndex: number;

  private readonly pairs = new Map<string, PairReplay>();

  private readonly sampleRatio: SampleRatioReplay | null;

  private readonly shares: number[];

  private latest: VariantCounts[] = [];

  private looks = 0;

  constructor(
    readonly names: string[],
    private readonly settings: ExperimentSettings,
  ) {
    const shares = intendedShares(names, settings.intendedWeights);
    this.shares = shares;
    this.comparisonAlpha = settings.alpha / Math.max(1, (names.length * (names.length - 1)) / 2);
    this.controlIndex = names.indexOf(settings.control);
    names.forEach((_, i) =>
      names.forEach((__, j) => {
        if (i !== j) this.pairs.set(`${i},${j}`, new PairReplay(i, j, shares, this.comparisonAlpha, pairMixing(settings)));
      }),
    );
    this.sampleRatio = names.length >= 2 ? new SampleRatioReplay(shares, settings) : null;
    this.latest = names.map(name => ({ name, exposed: 0, converted: 0 }));
  }

  add(look: VariantCounts[]): void {
    this.pairs.forEach(pair => pair.add(look));
    this.sampleRatio?.add(look);
    this.latest = look;
    this.looks += 1;
  }

  private pair(i: number, j: number): PairTest {
    return this.pairs.get(`${i},${j}`)!.result(this.latest);
  }

  /** Per-arm results at the latest look; `withReading` adds Wilson intervals and P(best). */
  arms(withReading: boolean): VariantResult[] {
    const totals = this.latest;
    const best = withReading ? probabilityBest(totals) : totals.map(() => NaN);
    const control = this.controlIndex >= 0 ? totals[this.controlIndex] : null;
    return totals.map((v, i) => {
      const isControl = i === this.controlIndex;
      const sequential = control && !isControl ? this.pair(i, this.controlIndex) : null;
      const rate = v.exposed > 0 ? v.converted / v.exposed : null;
      const controlRate = control && control.exposed > 0 ? control.converted / control.exposed : null;
      return {
        ...v,
        isControl,
        rate,
        rateInterval: withReading && v.exposed > 0 ? wilsonInterval(v.converted, v.exposed, this.comparisonAlpha) : null,
        uplift: !isControl && rate !== null && controlRate ? rate / controlRate - 1 : null,
        zTest: control && !isControl ? twoProportionZTest(v, control) : null,
        sequential,
        direction: sequential ? sequential.direction : null,
        probabilityBest: best[i],
      };
    });
  }

  /** The verdict at the latest look. */
  verdict(timeFiltered = false, arms: VariantResult[] = this.arms(false)): Verdict {
    const beats: Beats = (i, j) => this.pair(i, j).direction === 'better';
    const sampleRatio = this.sampleRatio ? this.sampleRatio.result(this.latest) : null;
    return verdictFor({ arms, controlIndex: this.controlIndex, beats, sampleRatio }, this.settings, timeFiltered);
  }

  /** Projection for a running experiment that has seen `spanDays` of traffic. */
  forecast(spanDays: number): Forecast {
    const c = this.controlIndex;
    const control = this.latest[c];
    let best: Forecast = { days: null, arm: null };
    this.latest.forEach((arm, i) => {
      if (i === c || this.pair(i, c).direction !== 'undecided') return;
      const days = daysToDecision(
        {
          first: { ...arm, unitsPerDay: arm.exposed / spanDays },
          second: { ...control, unitsPerDay: control.exposed / spanDays },
          nullShare: this.shares[i] / (this.shares[i] + this.shares[c]),
        },
        this.comparisonAlpha,
        pairMixing(this.settings),
      );
      if (days !== null && (best.days === null || days < best.days)) best = { days, arm: arm.name };
    });
    return best;
  }

  result(leftOut: VariantCounts[], warnings: string[], timeFiltered: boolean, spanDays: number | null): ExperimentResult {
    const arms = this.arms(true);
    const verdict = this.verdict(timeFiltered, arms);
    const running = verdict.kind === 'keep_running' && this.controlIndex >= 0 && arms.length >= 2;
    return {
      variants: arms,
      leftOut,
      control: this.controlIndex >= 0 ? this.names[this.controlIndex] : null,
      alpha: this.settings.alpha,
      comparisonAlpha: this.comparisonAlpha,
      confidenceLevel: 1 - this.comparisonAlpha,
      sampleRatio: this.sampleRatio && this.looks > 0 ? this.sampleRatio.result(this.latest) : null,
      looks: this.looks,
      verdict,
      forecast: running && spanDays !== null ? this.forecast(spanDays) : null,
      warnings,
    };
  }
}

const HOUR_MS = 3_600_000;

/** Days of traffic the rows cover, from the first hour to the end of the last; null without times. */
function trafficSpanDays(rows: LookCounts[]): number | null {
  const times = rows.filter(row => row.time !== undefined && row.exposed > 0).map(row => row.time!);
  if (times.length === 0) return null;
  return (Math.max(...times) - Math.min(...times) + HOUR_MS) / (24 * HOUR_MS);
}

/**
 * Everything the chart shows, from counts per variant and look. With
 * `timeFiltered`, the history is cut and no verdict is given.
 */
export function analyzeExperiment(
  rows: LookCounts[],
  settings: ExperimentSettings,
  timeFiltered = false,
): ExperimentResult {
  const warnings: string[] = [];
  const clean = sanitizeCounts(rows, warnings);
  const { arms, leftOut } = armNames(clean, settings.control);
  const replay = new ExperimentReplay(arms, settings);
  cumulativeLooks(clean, arms).forEach(look => replay.add(look));
  return replay.result(leftOut, warnings, timeFiltered, trafficSpanDays(clean));
}
