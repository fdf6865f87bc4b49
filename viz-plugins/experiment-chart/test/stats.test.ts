/** Properties of the statistics that need no outside reference. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalCdf, normalQuantile } from '../src/special';
import { pairLogEvidence, shareConfidenceSequence, upliftFromShare } from '../src/sequential';
import {
  DEFAULT_SETTINGS,
  NO_VARIANT,
  analyzeExperiment,
  probabilityBest,
  sanitizeCounts,
  wilsonInterval,
} from '../src/stats';

const settings = { ...DEFAULT_SETTINGS, minSamplePerVariant: 100 };
const mixing = { tunedUplift: DEFAULT_SETTINGS.tunedUplift, scale: DEFAULT_SETTINGS.mixingScale };

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
  assert.equal(b.sequential?.upliftInterval, null);
  assert.equal(b.zTest, null, 'the z-test is undefined without variation');
  assert.equal(b.sequential?.pValue, null, 'the always-valid p is undefined without conversions');
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

test('Bonferroni: four arms, six pairs share alpha; empty and unassigned arms take none', () => {
  const result = analyzeExperiment(
    [
      ...['control', 'B', 'C', 'D'].map(name => ({ name, exposed: 100, converted: 10 })),
      { name: 'E', exposed: 0, converted: 0 },
      { name: NO_VARIANT, exposed: 3, converted: 0 },
    ],
    settings,
  );
  assert.ok(Math.abs(result.comparisonAlpha - 0.05 / 6) < 1e-15);
  assert.deepEqual(result.leftOut.map(v => v.name).sort(), [NO_VARIANT, 'E'].sort());
});

test('an arm with all or no conversions does not collapse the always-valid test', () => {
  const rows = [
    { name: 'control', exposed: 3, converted: 0 },
    { name: 'B', exposed: 3000, converted: 150 },
  ];
  // A tiny arm meant to be tiny: no evidence from three units without conversions.
  const intended = analyzeExperiment(rows, { ...settings, minSamplePerVariant: 0, intendedWeights: { B: 1000 } });
  const b = intended.variants.find(v => v.name === 'B')!;
  assert.ok((b.sequential?.pValue ?? 0) > 0.5, `p ${b.sequential?.pValue}`);
  assert.equal(intended.verdict.kind, 'keep_running');
  // The same counts where an equal split was intended: the split is broken, no winner.
  assert.equal(analyzeExperiment(rows, { ...settings, minSamplePerVariant: 0 }).verdict.kind, 'broken_split');
  const full = analyzeExperiment(
    [
      { name: 'control', exposed: 2000, converted: 2000 },
      { name: 'B', exposed: 2000, converted: 2000 },
    ],
    settings,
  );
  const [lo, hi] = full.variants[1].sequential!.upliftInterval!;
  assert.ok(lo < 0 && hi > 0, '100% against 100%: an interval of positive width around 0');
});

test('a split of 52/48 at 20,000 units fails the sample ratio check, 50/50 passes', t => {
  const split = (control: number) =>
    analyzeExperiment(
      [
        { name: 'control', exposed: control, converted: Math.round(control * 0.05) },
        { name: 'B', exposed: 20000 - control, converted: Math.round((20000 - control) * 0.05) },
      ],
      settings,
    );
  const broken = split(10400);
  assert.equal(broken.sampleRatio?.passed, false);
  assert.equal(broken.verdict.kind, 'broken_split');
  assert.equal(broken.verdict.headline, "Split is broken: don't trust this experiment");
  assert.match(broken.verdict.detail, /control 10,400 \(52\.0%, intended 50\.0%\)/);
  const fine = split(10000);
  t.diagnostic(`srm_p_52_48=${broken.sampleRatio?.pValue.toExponential(2)} srm_p_50_50=${fine.sampleRatio?.pValue}`);
  assert.equal(fine.sampleRatio?.passed, true);
  assert.notEqual(fine.verdict.kind, 'broken_split');
});

test('a time filter replaces the verdict with a warning', () => {
  const rows = [
    { name: 'control', exposed: 20000, converted: 2000 },
    { name: 'B', exposed: 20000, converted: 2300 },
  ];
  assert.equal(analyzeExperiment(rows, settings).verdict.kind, 'winner');
  const cut = analyzeExperiment(rows, settings, true);
  assert.equal(cut.verdict.kind, 'time_filtered');
  assert.equal(cut.verdict.winner, null);
});

test('three arms: a winner only when it beats every other arm', () => {
  const result = analyzeExperiment(
    [
      { name: 'control', exposed: 30000, converted: 1500 },
      { name: 'B', exposed: 30000, converted: 1950 },
      { name: 'C', exposed: 30000, converted: 2000 },
    ],
    settings,
  );
  assert.equal(result.verdict.kind, 'keep_running');
  assert.match(result.verdict.detail, /B and C beat control; which arm is best is undecided/);
});

test('the verdict stays once reached, though the latest look alone would not give it', () => {
  const early = [
    { name: 'control', exposed: 4000, converted: 200, time: 1 },
    { name: 'B', exposed: 4000, converted: 300, time: 1 },
  ];
  const later = [
    { name: 'control', exposed: 4000, converted: 260, time: 2 },
    { name: 'B', exposed: 4000, converted: 160, time: 2 },
  ];
  assert.equal(analyzeExperiment(early, settings).verdict.winner, 'B');
  const totals = analyzeExperiment(
    [
      { name: 'control', exposed: 8000, converted: 460 },
      { name: 'B', exposed: 8000, converted: 460 },
    ],
    settings,
  );
  assert.equal(totals.verdict.kind, 'keep_running');
  assert.equal(analyzeExperiment([...early, ...later], settings).verdict.winner, 'B');
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
  const [qLow, qHigh] = shareConfidenceSequence(330, 300, 0.5, 0.05, mixing);
  assert.ok(upliftFromShare(qLow, 0.5) < 0.1 && 0.1 < upliftFromShare(qHigh, 0.5));
});

test('forecast: whole days until the projected evidence crosses 1/alpha, none without a difference', () => {
  const hourly = (hours: number, control: [number, number], b: [number, number]) =>
    Array.from({ length: hours }, (_, h) => [
      { name: 'control', exposed: control[0], converted: control[1], time: h * 3_600_000 },
      { name: 'B', exposed: b[0], converted: b[1], time: h * 3_600_000 },
    ]).flat();
  const running = analyzeExperiment(hourly(48, [50, 5], [50, 6]), settings);
  assert.equal(running.verdict.kind, 'keep_running');
  const days = running.forecast?.days;
  assert.ok(days !== null && days !== undefined && days >= 1, `days ${days}`);
  assert.equal(running.forecast?.arm, 'B');
  const perDay = 50 * 24;
  const evidenceAfter = (d: number) =>
    pairLogEvidence(48 * 6 + d * perDay * (6 / 50), 48 * 5 + d * perDay * (5 / 50), 0.5, mixing);
  assert.ok(evidenceAfter(days!) >= Math.log(20) && evidenceAfter(days! - 1) < Math.log(20));
  const same = analyzeExperiment(hourly(48, [50, 5], [50, 5]), settings);
  assert.deepEqual(same.forecast, { days: null, arm: null });
  assert.equal(analyzeExperiment(hourly(48, [500, 50], [500, 80]), settings).forecast, null, 'decided: no forecast');
});
