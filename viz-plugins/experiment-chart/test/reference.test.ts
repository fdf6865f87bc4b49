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
 * - uplift (Katz) interval: relative 1e-10 (closed form; SciPy's own rounding);
 * - z-test p-value: absolute 1e-12 plus relative 1e-9 (SciPy uses the
 *   chi-square survival function, we use the normal tail: same number,
 *   different rounding);
 * - mSPRT log likelihood ratio: absolute 1e-9, interval ends absolute 1e-12
 *   (SciPy integrates the mixture numerically and finds the ends by root
 *   finding; we use the closed form);
 * - P(best): absolute 1e-9 (fixed 12-point Gauss-Legendre on segments versus
 *   SciPy's adaptive quadrature with error below 1e-11).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { betaCdf, normalCdf, normalQuantile } from '../src/special';
import { DEFAULT_SETTINGS, analyzeExperiment, type VariantCounts } from '../src/stats';

interface SequentialExpectation {
  log_likelihood_ratio: number;
  interval: [number, number];
}

interface VariantExpectation {
  rate: number | null;
  rate_interval: [number, number] | null;
  probability_best: number;
  uplift_interval?: [number, number] | null;
  z_test_p?: number;
  sequential?: SequentialExpectation | null;
}

interface ReferenceCase {
  name: string;
  variants: VariantCounts[];
  control: string;
  alpha: number;
  tau: number;
  comparison_alpha: number;
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

function closeInterval(
  actual: [number, number] | null,
  expected: [number, number] | null,
  absolute: number,
  relative: number,
  what: string,
) {
  if (expected === null) {
    assert.equal(actual, null, `${what}: expected undefined, got ${JSON.stringify(actual)}`);
    return;
  }
  assert.ok(actual !== null, `${what}: undefined, SciPy ${JSON.stringify(expected)}`);
  close(actual[0], expected[0], absolute, relative, `${what} lower`);
  close(actual[1], expected[1], absolute, relative, `${what} upper`);
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
    const result = analyzeExperiment(reference.variants, {
      ...DEFAULT_SETTINGS,
      control: reference.control,
      alpha: reference.alpha,
      tau: reference.tau,
    });
    close(result.comparisonAlpha, reference.comparison_alpha, 0, 1e-15, 'comparison alpha: ');
    for (const variant of result.variants) {
      const expected = reference.expected[variant.name];
      const at = `${reference.name} / ${variant.name}`;
      if (expected.rate === null) assert.equal(variant.rate, null);
      else close(variant.rate!, expected.rate, 0, 1e-15, `rate: ${at}`);
      closeInterval(variant.rateInterval, expected.rate_interval, 1e-12, 0, `Wilson interval: ${at}`);
      close(variant.probabilityBest, expected.probability_best, 1e-9, 0, `P(best): ${at}`);
      if (variant.isControl) continue;
      closeInterval(variant.upliftInterval, expected.uplift_interval ?? null, 0, 1e-10, `uplift interval: ${at}`);
      close(variant.zTest!.pValue, expected.z_test_p!, 1e-12, 1e-9, `z-test p: ${at}`);
      const sequential = expected.sequential ?? null;
      if (sequential === null) {
        // No observed variation: the chart reports no evidence.
        assert.deepEqual(variant.sequential, { logLikelihoodRatio: 0, pValue: 1, interval: [-1, 1] });
      } else {
        close(variant.sequential!.logLikelihoodRatio, sequential.log_likelihood_ratio, 1e-9, 0, `mSPRT log ratio: ${at}`);
        closeInterval(variant.sequential!.interval, sequential.interval, 1e-12, 0, `confidence sequence: ${at}`);
      }
    }
  });
}

test('largest differences from SciPy', { skip }, t => {
  for (const [quantity, difference] of worst) t.diagnostic(`max |diff| ${quantity}: ${difference.toExponential(2)}`);
});
