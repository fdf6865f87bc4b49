/**
 * The statistics against values computed independently with SciPy
 * (tests/viz_plugins/stats_reference.py). The table's path comes from
 * STATS_REFERENCE; without it the test is skipped, so run it through
 * pytest (tests/viz_plugins/test_stats_js.py), which writes the table first.
 *
 * Tolerances, and why:
 * - normal cdf: relative 1e-13 (Cody's approximation is good to ~1e-15);
 * - normal quantile: absolute 1e-12 * max(1, |x|) (one Halley step after Acklam);
 * - beta cdf: absolute 1e-12 (continued fraction to 1e-16 per step);
 * - Wilson interval: absolute 1e-12 (closed form);
 * - z-test p-value: absolute 1e-12 plus relative 1e-9 (SciPy uses the
 *   chi-square survival function, we use the normal tail: same number,
 *   different rounding);
 * - always-valid p: absolute 1e-12 plus relative 1e-9 (SciPy's beta-binomial
 *   and binomial pmfs, mixed by logsumexp, against our log-gamma sums);
 * - sample ratio p: the same (SciPy's Dirichlet-multinomial and multinomial pmfs);
 * - always-valid uplift interval ends: absolute 1e-9 plus relative 1e-9
 *   (both sides find the roots to full precision: Brent in SciPy, bisection here);
 * - P(best): absolute 1e-9 (fixed 12-point Gauss-Legendre on segments versus
 *   SciPy's adaptive quadrature with error below 1e-11).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { betaCdf, normalCdf, normalQuantile } from '../src/special';
import { DEFAULT_SETTINGS, analyzeExperiment, type LookCounts } from '../src/stats';

interface VariantExpectation {
  rate: number;
  rate_interval: [number, number];
  probability_best: number;
  uplift?: number | null;
  z_test_p?: number | null;
  always_valid_p?: number | null;
  uplift_interval?: [number, number | null] | null;
  direction?: string;
}

interface ReferenceCase {
  name: string;
  looks: LookCounts[][];
  control: string;
  alpha: number;
  mixing_scale: number;
  tuned_uplift: number;
  weights: Record<string, number>;
  comparison_alpha: number;
  arms: string[];
  left_out: string[];
  srm_p: number | null;
  verdict: string;
  winner: string | null;
  expected: Record<string, VariantExpectation>;
}

interface ReferenceTable {
  normal_cdf: [number, number][];
  normal_quantile: [number, number][];
  beta_cdf: [number, number, number, number][];
  cases: ReferenceCase[];
}

const path = process.env.STATS_REFERENCE;
const table: ReferenceTable | null = path ? JSON.parse(readFileSync(path, 'utf8')) : null;
const skip = table ? false : 'STATS_REFERENCE not set: run through pytest (tests/viz_plugins/test_stats_js.py)';

// Largest absolute difference seen per quantity, reported at the end.
const worst = new Map<string, number>();

function close(actual: number, expected: number, absolute: number, relative: number, what: string) {
  const quantity = what.split(': ')[0];
  worst.set(quantity, Math.max(worst.get(quantity) ?? 0, Math.abs(actual - expected)));
  const tolerance = absolute + relative * Math.abs(expected);
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: got ${actual}, SciPy ${expected}, |diff| ${Math.abs(actual - expected)} > ${tolerance}`,
  );
}

/** Nullable numbers: both undefined, or close. Infinity stands for SciPy's None at an open end. */
function closeOrNull(actual: number | null, expected: number | null, absolute: number, relative: number, what: string) {
  if (expected === null) {
    assert.ok(actual === null || actual === Infinity, `${what}: expected undefined, got ${actual}`);
    return;
  }
  assert.ok(actual !== null, `${what}: undefined, SciPy ${expected}`);
  close(actual, expected, absolute, relative, what);
}

test('normal cdf matches scipy.special.ndtr', { skip }, () => {
  for (const [x, expected] of table!.normal_cdf) close(normalCdf(x), expected, 0, 1e-13, `normal cdf: Phi(${x})`);
});

test('normal quantile matches scipy.special.ndtri', { skip }, () => {
  for (const [p, expected] of table!.normal_quantile) {
    close(normalQuantile(p), expected, 1e-12 * Math.max(1, Math.abs(expected)), 0, `normal quantile: p=${p}`);
  }
});

test('beta cdf matches scipy.special.betainc', { skip }, () => {
  for (const [x, a, b, expected] of table!.beta_cdf) close(betaCdf(x, a, b), expected, 1e-12, 0, `beta cdf: I_${x}(${a}, ${b})`);
});

for (const reference of table ? table.cases : []) {
  test(`experiment case: ${reference.name}`, () => {
    const result = analyzeExperiment(reference.looks.flat(), {
      ...DEFAULT_SETTINGS,
      control: reference.control,
      alpha: reference.alpha,
      mixingScale: reference.mixing_scale,
      tunedUplift: reference.tuned_uplift,
      intendedWeights: reference.weights,
    });
    close(result.comparisonAlpha, reference.comparison_alpha, 0, 1e-15, 'comparison alpha: ');
    assert.deepEqual(result.variants.map(v => v.name).sort(), [...reference.arms].sort());
    assert.deepEqual(result.leftOut.map(v => v.name).sort(), reference.left_out);
    assert.equal(result.verdict.kind, reference.verdict);
    assert.equal(result.verdict.winner, reference.winner);
    closeOrNull(result.sampleRatio ? result.sampleRatio.pValue : null, reference.srm_p, 1e-12, 1e-9, `SRM p: ${reference.name}`);
    for (const variant of result.variants) {
      const expected = reference.expected[variant.name];
      const at = `${reference.name} / ${variant.name}`;
      close(variant.rate!, expected.rate, 0, 1e-15, `rate: ${at}`);
      close(variant.rateInterval![0], expected.rate_interval[0], 1e-12, 0, `Wilson interval: ${at}`);
      close(variant.rateInterval![1], expected.rate_interval[1], 1e-12, 0, `Wilson interval: ${at}`);
      close(variant.probabilityBest, expected.probability_best, 1e-9, 0, `P(best): ${at}`);
      if (variant.isControl) continue;
      closeOrNull(variant.uplift, expected.uplift ?? null, 1e-15, 1e-13, `uplift: ${at}`);
      closeOrNull(variant.zTest ? variant.zTest.pValue : null, expected.z_test_p ?? null, 1e-12, 1e-9, `z-test p: ${at}`);
      const sequential = variant.sequential!;
      closeOrNull(sequential.pValue, expected.always_valid_p ?? null, 1e-12, 1e-9, `always-valid p: ${at}`);
      assert.equal(sequential.direction, expected.direction, `direction: ${at}`);
      const interval = expected.uplift_interval ?? null;
      if (interval === null) {
        assert.equal(sequential.upliftInterval, null, `uplift interval: ${at}`);
      } else {
        closeOrNull(sequential.upliftInterval![0], interval[0], 1e-9, 1e-9, `always-valid uplift interval: ${at}`);
        closeOrNull(sequential.upliftInterval![1], interval[1], 1e-9, 1e-9, `always-valid uplift interval: ${at}`);
      }
    }
  });
}

test('largest differences from SciPy', { skip }, t => {
  for (const [quantity, difference] of worst) t.diagnostic(`max |diff| ${quantity}: ${difference.toExponential(2)}`);
});
