/**
 * Seeded simulations of experiments looked at after every 100 units, as a
 * live dashboard does at every refresh:
 * - A/A (no effect) at 1:1, 9:1 and 100:1 allocation and base rates 0.5%,
 *   5% and 50%: the always-valid p must fall to alpha in at most alpha of
 *   the runs (plus Monte Carlo error), while the naive rule (stop at the
 *   first fixed-horizon p < alpha) must exceed it; no verdict, once given,
 *   may change at a later look;
 * - a true +10% relative lift at 5%: the median units per arm to a decision
 *   must be at most 28,650 (the bound: the normal-approximation
 *   mSPRT the chart used first), shown beside the beta prior alone (the
 *   mixture before the tuned uplift) and that mSPRT on the same streams.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type PairMixing, pairLogEvidence } from '../src/sequential';
import { DEFAULT_SETTINGS, ExperimentReplay, twoProportionZTest, type VariantCounts } from '../src/stats';

/** mulberry32: small, fast, seedable; plenty for a simulation of this size. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Binomial(n, p) by inversion of its CDF: one uniform per draw. */
function binomial(n: number, p: number, uniform: () => number): number {
  if (n === 0 || p === 0) return 0;
  if (p === 1) return n;
  const u = uniform();
  let probability = (1 - p) ** n;
  let cdf = probability;
  let k = 0;
  const ratio = p / (1 - p);
  while (u > cdf && k < n) {
    probability *= ((n - k) / (k + 1)) * ratio;
    k += 1;
    cdf += probability;
  }
  return k;
}

const ALPHA = 0.05;
const BATCH = 100;
const MIXING: PairMixing = { tunedUplift: DEFAULT_SETTINGS.tunedUplift, scale: DEFAULT_SETTINGS.mixingScale };
const BETA_ONLY: PairMixing = { tunedUplift: 0, scale: DEFAULT_SETTINGS.mixingScale };

interface Stream {
  control: VariantCounts;
  treatment: VariantCounts;
}

/** Add one batch of units, split at random with treatment share `share`. */
function addBatch(stream: Stream, share: number, rates: [number, number], uniform: () => number): void {
  const treated = binomial(BATCH, share, uniform);
  stream.treatment.exposed += treated;
  stream.control.exposed += BATCH - treated;
  stream.treatment.converted += binomial(treated, rates[1], uniform);
  stream.control.converted += binomial(BATCH - treated, rates[0], uniform);
}

function newStream(): Stream {
  return {
    control: { name: 'control', exposed: 0, converted: 0 },
    treatment: { name: 'B', exposed: 0, converted: 0 },
  };
}

const RUNS = 2000;
const LOOKS = 200;
const REPLAYED_RUNS = 100;

interface AaResult {
  everSignificant: number;
  naive: number;
  reversals: number;
  verdicts: number;
}

function simulateAa(ratio: number, rate: number, seed: number): AaResult {
  const uniform = random(seed);
  const share = 1 / (1 + ratio);
  const threshold = Math.log(1 / ALPHA);
  const settings = { ...DEFAULT_SETTINGS, intendedWeights: { control: ratio, B: 1 } };
  let everSignificant = 0;
  let naive = 0;
  let reversals = 0;
  let verdicts = 0;
  for (let run = 0; run < RUNS; run += 1) {
    const stream = newStream();
    const replay = run < REPLAYED_RUNS ? new ExperimentReplay(['control', 'B'], settings) : null;
    let significant = false;
    let naiveSignificant = false;
    let first: string | null = null;
    for (let look = 0; look < LOOKS; look += 1) {
      addBatch(stream, share, [rate, rate], uniform);
      const { treatment, control } = stream;
      const evidence = pairLogEvidence(treatment.converted, control.converted, share, MIXING);
      if (evidence >= threshold) significant = true;
      if ((twoProportionZTest(treatment, control)?.pValue ?? 1) <= ALPHA) naiveSignificant = true;
      if (!replay) continue;
      replay.add([{ ...control }, { ...treatment }]);
      const verdict = replay.verdict();
      const decided = verdict.kind === 'winner' || verdict.kind === 'no_difference';
      const key = `${verdict.kind}:${verdict.winner}`;
      if (first !== null && key !== first) reversals += 1;
      if (first === null && decided) {
        first = key;
        verdicts += 1;
      }
    }
    everSignificant += Number(significant);
    naive += Number(naiveSignificant);
  }
  return { everSignificant: everSignificant / RUNS, naive: naive / RUNS, reversals, verdicts };
}

const ALLOCATIONS = [1, 9, 100];
const RATES = [0.005, 0.05, 0.5];

ALLOCATIONS.forEach((ratio, i) => {
  RATES.forEach((rate, j) => {
    test(`A/A ${ratio}:1 at ${rate * 100}%, a look every ${BATCH} units`, t => {
      const result = simulateAa(ratio, rate, 1000 + 10 * i + j);
      const se = Math.sqrt((ALPHA * (1 - ALPHA)) / RUNS);
      t.diagnostic(
        `allocation=${ratio}:1 rate=${rate} runs=${RUNS} looks=${LOOKS} ` +
          `fpr_always_valid=${result.everSignificant.toFixed(4)} fpr_naive_repeated_p=${result.naive.toFixed(4)} ` +
          `verdicts_replayed=${result.verdicts}/${REPLAYED_RUNS} reversals=${result.reversals} (se near alpha ${se.toFixed(4)})`,
      );
      assert.ok(result.everSignificant <= ALPHA + 2 * se, `always-valid FPR ${result.everSignificant}`);
      assert.equal(result.reversals, 0, 'a verdict changed at a later look');
      if (ratio === 1 && rate === 0.05) assert.ok(result.naive > 2 * ALPHA, `naive FPR ${result.naive} not inflated`);
    });
  });
});

/** The normal-approximation mSPRT with plug-in variance this chart used before, as a yardstick. */
function previousMsprtRejects(stream: Stream, tau: number): boolean {
  const { treatment: t, control: c } = stream;
  const pt = t.converted / t.exposed;
  const pc = c.converted / c.exposed;
  const variance = (pt * (1 - pt)) / t.exposed + (pc * (1 - pc)) / c.exposed;
  if (!(variance > 0)) return false;
  const tau2 = tau * tau;
  const d = pt - pc;
  const log = 0.5 * Math.log(variance / (variance + tau2)) + (tau2 * d * d) / (2 * variance * (variance + tau2));
  return log >= Math.log(1 / ALPHA);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The bound on the median units per arm to a decision at +10% on 5%. */
const POWER_BOUND = 28_650;

test('power: +10% relative lift at 5%, 1:1, median units per arm to a decision', t => {
  const uniform = random(4242);
  const runs = 1000;
  const maxLooks = 4000;
  const threshold = Math.log(1 / ALPHA);
  const tuned: number[] = [];
  const betaOnly: number[] = [];
  const before: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const stream = newStream();
    let decided = 0;
    let decidedBeta = 0;
    let decidedBefore = 0;
    for (let look = 1; look <= maxLooks && (decided === 0 || decidedBeta === 0 || decidedBefore === 0); look += 1) {
      addBatch(stream, 0.5, [0.05, 0.055], uniform);
      const perArm = (look * BATCH) / 2;
      const { treatment, control } = stream;
      if (decided === 0 && pairLogEvidence(treatment.converted, control.converted, 0.5, MIXING) >= threshold) {
        decided = perArm;
      }
      if (decidedBeta === 0 && pairLogEvidence(treatment.converted, control.converted, 0.5, BETA_ONLY) >= threshold) {
        decidedBeta = perArm;
      }
      if (decidedBefore === 0 && previousMsprtRejects(stream, 0.01)) decidedBefore = perArm;
    }
    tuned.push(decided || Infinity);
    betaOnly.push(decidedBeta || Infinity);
    before.push(decidedBefore || Infinity);
  }
  const shown = median(tuned);
  t.diagnostic(
    `runs=${runs} alpha=${ALPHA} look_every=${BATCH} median_units_per_arm_to_decision=${shown} ` +
      `beta_prior_alone_same_streams=${median(betaOnly)} previous_msprt_same_streams=${median(before)} ` +
      `decided_within_200k=${tuned.filter(Number.isFinite).length / runs} bound=${POWER_BOUND}`,
  );
  assert.ok(shown <= POWER_BOUND, `median ${shown} above ${POWER_BOUND}`);
});

test('power runs replayed: once "Stop: B wins" shows, it stays at every later look', t => {
  const uniform = random(777);
  const runs = 100;
  let winners = 0;
  let reversals = 0;
  for (let run = 0; run < runs; run += 1) {
    const stream = newStream();
    const replay = new ExperimentReplay(['control', 'B'], DEFAULT_SETTINGS);
    let first: string | null = null;
    for (let look = 0; look < 1000; look += 1) {
      addBatch(stream, 0.5, [0.05, 0.055], uniform);
      replay.add([{ ...stream.control }, { ...stream.treatment }]);
      const verdict = replay.verdict();
      const key = `${verdict.kind}:${verdict.winner}`;
      if (first !== null && key !== first) reversals += 1;
      if (first === null && verdict.kind === 'winner') {
        first = key;
        winners += 1;
      }
    }
  }
  t.diagnostic(`runs=${runs} looks=1000 winners=${winners} reversals_after_a_verdict=${reversals}`);
  assert.ok(winners > runs / 2);
  assert.equal(reversals, 0);
});
