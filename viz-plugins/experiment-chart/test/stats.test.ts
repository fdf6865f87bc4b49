/** Properties of the statistics that need no outside reference. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalCdf, normalQuantile } from '../src/special';
import {
  DEFAULT_SETTINGS,
  analyzeExperiment,
  mixtureSequentialTest,
  probabilityBest,
  sanitizeCounts,
  wilsonInterval,
} from '../src/stats';

const settings = { ...DEFAULT_SETTINGS, minSamplePerVariant: 100 };

test('normal quantile inverts the cdf', () => {
  for (const p of [1e-12, 0.001, 0.025, 0.4, 0.5, 0.9, 0.999999]) {
    assert.ok(Math.abs(normalCdf(normalQuantile(p)) - p) <= 1e-14 * Math.max(p, 1e-3));
  }
});

test('probabilities of being best sum to one and respect symmetry', () => {
  const same = probabilityBest([
    { name: 'a', exposed: 1000, converted: 37 },
    { name: 'b', exposed: 1000, converted: 37 },
    { name: 'c', exposed: 1000, converted: 37 },
  ]);
  same.forEach(p => assert.ok(Math.abs(p - 1 / 3) < 1e-9));
  const mixed = probabilityBest([
    { name: 'a', exposed: 0, converted: 0 },
    { name: 'b', exposed: 3, converted: 1 },
    { name: 'c', exposed: 1e7, converted: 2e5 },
  ]);
  assert.ok(Math.abs(mixed.reduce((s, p) => s + p, 0) - 1) < 1e-9);
});

test('a one-variant experiment is best with certainty and keeps running', () => {
  const result = analyzeExperiment([{ name: 'control', exposed: 5000, converted: 100 }], settings);
  assert.equal(result.variants[0].probabilityBest, 1);
  assert.equal(result.verdict.kind, 'keep_running');
});

test('no conversions anywhere: no evidence, no crash', () => {
  const result = analyzeExperiment(
    [
      { name: 'control', exposed: 5000, converted: 0 },
      { name: 'B', exposed: 5000, converted: 0 },
    ],
    settings,
  );
  const b = result.variants[1];
  assert.equal(b.uplift, null);
  assert.equal(b.upliftInterval, null);
  assert.equal(b.zTest?.pValue, 1);
  assert.equal(b.sequential?.pValue, 1);
  assert.equal(result.verdict.kind, 'keep_running');
});

test('minimum sample guard holds back an otherwise clear winner', () => {
  const rows = [
    { name: 'control', exposed: 900, converted: 10 },
    { name: 'B', exposed: 900, converted: 200 },
  ];
  const guarded = analyzeExperiment(rows, { ...settings, minSamplePerVariant: 1000 });
  assert.equal(guarded.verdict.kind, 'keep_running');
  assert.match(guarded.verdict.detail, /1,000 units/);
  const open = analyzeExperiment(rows, { ...settings, minSamplePerVariant: 500 });
  assert.equal(open.verdict.kind, 'winner');
  assert.equal(open.verdict.winner, 'B');
  assert.equal(open.verdict.headline, 'Stop: B wins');
});

test('control wins when every other variant is worse', () => {
  const result = analyzeExperiment(
    [
      { name: 'control', exposed: 20000, converted: 2400 },
      { name: 'B', exposed: 20000, converted: 1600 },
    ],
    settings,
  );
  assert.equal(result.verdict.kind, 'winner');
  assert.equal(result.verdict.winner, 'control');
});

test('no meaningful difference once the always-valid interval is inside the margin', () => {
  const result = analyzeExperiment(
    [
      { name: 'control', exposed: 400000, converted: 40000 },
      { name: 'B', exposed: 400000, converted: 40100 },
    ],
    { ...settings, practicalEffect: 0.05 },
  );
  assert.equal(result.verdict.kind, 'no_difference');
  assert.equal(result.verdict.headline, 'Stop: no meaningful difference');
});

test('control is listed first, missing control is reported', () => {
  const rows = [
    { name: 'B', exposed: 10, converted: 1 },
    { name: 'control', exposed: 10, converted: 2 },
  ];
  assert.deepEqual(
    analyzeExperiment(rows, settings).variants.map(v => v.name),
    ['control', 'B'],
  );
  const missing = analyzeExperiment(rows, { ...settings, control: 'A' });
  assert.equal(missing.control, null);
  assert.match(missing.verdict.detail, /"A" not found/);
});

test('Bonferroni: three comparisons share alpha', () => {
  const result = analyzeExperiment(
    ['control', 'B', 'C', 'D'].map(name => ({ name, exposed: 100, converted: 10 })),
    settings,
  );
  assert.ok(Math.abs(result.comparisonAlpha - 0.05 / 3) < 1e-15);
});

test('impossible counts are capped with a warning', () => {
  const warnings: string[] = [];
  const [row] = sanitizeCounts([{ name: 'x', exposed: 10, converted: 12 }], warnings);
  assert.equal(row.converted, 10);
  assert.equal(warnings.length, 1);
});

test('intervals are ordered and contain their estimate', () => {
  const [lo, hi] = wilsonInterval(0, 30, 0.05);
  assert.equal(lo, 0);
  assert.ok(hi > 0 && hi < 0.15);
  const seq = mixtureSequentialTest(
    { name: 'B', exposed: 3000, converted: 330 },
    { name: 'control', exposed: 3000, converted: 300 },
    0.05,
    0.01,
  );
  assert.ok(seq.interval[0] < 0.01 && 0.01 < seq.interval[1]);
});
