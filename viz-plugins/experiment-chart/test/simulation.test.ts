/**
 * Seeded simulation of an A/A experiment (no effect) checked after every
 * batch, as a live dashboard does at every refresh: the always-valid rule
 * must keep its false-positive rate at or below alpha, while the naive rule
 * (stop at the first fixed-horizon p < alpha) must exceed it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mixtureSequentialTest, twoProportionZTest, type VariantCounts } from '../src/stats';

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

function binomial(n: number, p: number, uniform: () => number): number {
  let successes = 0;
  for (let i = 0; i < n; i += 1) if (uniform() < p) successes += 1;
  return successes;
}

interface SimulationResult {
  sequential: number;
  sequentialGuarded: number;
  naive: number;
  runs: number;
}

function simulate(options: {
  seed: number;
  runs: number;
  looks: number;
  batch: number;
  rate: number;
  alpha: number;
  tau: number;
  minSample: number;
}): SimulationResult {
  const uniform = random(options.seed);
  let sequential = 0;
  let sequentialGuarded = 0;
  let naive = 0;
  for (let run = 0; run < options.runs; run += 1) {
    const control: VariantCounts = { name: 'control', exposed: 0, converted: 0 };
    const treatment: VariantCounts = { name: 'B', exposed: 0, converted: 0 };
    let rejected = false;
    let rejectedGuarded = false;
    let naiveRejected = false;
    for (let look = 0; look < options.looks; look += 1) {
      control.exposed += options.batch;
      treatment.exposed += options.batch;
      control.converted += binomial(options.batch, options.rate, uniform);
      treatment.converted += binomial(options.batch, options.rate, uniform);
      const test = mixtureSequentialTest(treatment, control, options.alpha, options.tau);
      if (test.pValue <= options.alpha) {
        rejected = true;
        if (control.exposed >= options.minSample) rejectedGuarded = true;
      }
      if (twoProportionZTest(treatment, control).pValue <= options.alpha) naiveRejected = true;
    }
    sequential += Number(rejected);
    sequentialGuarded += Number(rejectedGuarded);
    naive += Number(naiveRejected);
  }
  return {
    sequential: sequential / options.runs,
    sequentialGuarded: sequentialGuarded / options.runs,
    naive: naive / options.runs,
    runs: options.runs,
  };
}

const SCENARIOS = [
  // A typical web conversion rate, 100 looks of 100 units per arm.
  { seed: 20240601, runs: 2000, looks: 100, batch: 100, rate: 0.05, alpha: 0.05, tau: 0.01, minSample: 1000 },
  // A higher rate, bigger batches, stricter alpha.
  { seed: 7, runs: 2000, looks: 60, batch: 250, rate: 0.2, alpha: 0.01, tau: 0.02, minSample: 1000 },
  // Rare conversions in small batches: the normal approximation is at its weakest.
  { seed: 11, runs: 2000, looks: 200, batch: 50, rate: 0.01, alpha: 0.05, tau: 0.01, minSample: 1000 },
];

for (const scenario of SCENARIOS) {
  test(`A/A checked every batch: rate ${scenario.rate}, alpha ${scenario.alpha}`, t => {
    const result = simulate(scenario);
    // One binomial standard error of a rate near alpha, for reading the numbers.
    const se = Math.sqrt((scenario.alpha * (1 - scenario.alpha)) / result.runs);
    t.diagnostic(
      `runs=${result.runs} looks=${scenario.looks} batch=${scenario.batch} alpha=${scenario.alpha} ` +
        `fpr_sequential=${result.sequential.toFixed(4)} ` +
        `fpr_sequential_min_sample=${result.sequentialGuarded.toFixed(4)} ` +
        `fpr_naive_repeated_p=${result.naive.toFixed(4)} (se near alpha ${se.toFixed(4)})`,
    );
    assert.ok(result.sequential <= scenario.alpha, `sequential FPR ${result.sequential} > ${scenario.alpha}`);
    assert.ok(result.sequentialGuarded <= result.sequential);
    assert.ok(result.naive > 2 * scenario.alpha, `naive FPR ${result.naive} not inflated`);
  });
}

test('the sequential rule still detects a real effect', t => {
  const uniform = random(99);
  const control: VariantCounts = { name: 'control', exposed: 0, converted: 0 };
  const treatment: VariantCounts = { name: 'B', exposed: 0, converted: 0 };
  let stoppedAt = 0;
  for (let look = 1; look <= 400 && stoppedAt === 0; look += 1) {
    control.exposed += 250;
    treatment.exposed += 250;
    control.converted += binomial(250, 0.1, uniform);
    treatment.converted += binomial(250, 0.12, uniform);
    if (mixtureSequentialTest(treatment, control, 0.05, 0.01).pValue <= 0.05) stoppedAt = control.exposed;
  }
  t.diagnostic(`10% -> 12%: stopped at ${stoppedAt} units per arm`);
  assert.ok(stoppedAt > 0 && stoppedAt < 50_000);
});
