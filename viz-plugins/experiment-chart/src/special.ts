/**
 * Special functions for the experiment statistics, in plain double precision.
 *
 * Browsers have no statistics library and the plugin must not bundle a big
 * one, so the few functions needed are implemented here from the classic
 * published algorithms. Every one is checked against SciPy by the reference
 * test (viz-plugins/experiment-chart/test/reference.test.ts).
 */

const HALF_LOG_2PI = 0.9189385332046728; // log(sqrt(2 * pi))
const INV_SQRT_2PI = 0.3989422804014327;

// W. J. Cody (1969), "Rational Chebyshev approximations for the error
// function", in the arrangement of R's pnorm: three ranges of |x|.
const CODY_A = [
  2.2352520354606839287, 161.02823106855587881, 1067.6894854603709582,
  18154.981253343561249, 0.065682337918207449113,
];
const CODY_B = [
  47.20258190468824187, 976.09855173777669322, 10260.932208618978205,
  45507.789335026729956,
];
const CODY_C = [
  0.39894151208813466764, 8.8831497943883759412, 93.506656132177855979,
  597.27027639480026226, 2494.5375852903726711, 6848.1904505362823326,
  11602.651437647350124, 9842.7148383839780218, 1.0765576773720192317e-8,
];
const CODY_D = [
  22.266688044328115691, 235.38790178262499861, 1519.377599407554805,
  6485.558298266760755, 18615.571640885098091, 34900.952721145977266,
  38912.003286093271411, 19685.429676859990727,
];
const CODY_P = [
  0.21589853405795699, 0.1274011611602473639, 0.022235277870649807,
  0.001421619193227893466, 2.9112874951168792e-5, 0.02307344176494017303,
];
const CODY_Q = [
  1.28426009614491121, 0.468238212480865118, 0.0659881378689285515,
  0.00378239633202758244, 7.29751555083966205e-5,
];

/** exp(-y^2 / 2) without losing the low bits of y^2 (Cody's split). */
function gaussianTail(y: number): number {
  const head = Math.trunc(y * 16) / 16;
  const rest = (y - head) * (y + head);
  return Math.exp(-head * head * 0.5) * Math.exp(-rest * 0.5);
}

/** Lower tail of the standard normal, full relative precision in both tails. */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const y = Math.abs(x);
  if (y <= 0.67448975) {
    const xsq = x * x;
    let num = CODY_A[4] * xsq;
    let den = xsq;
    for (let i = 0; i < 3; i += 1) {
      num = (num + CODY_A[i]) * xsq;
      den = (den + CODY_B[i]) * xsq;
    }
    return 0.5 + (x * (num + CODY_A[3])) / (den + CODY_B[3]);
  }
  let upper: number; // P(Z > |x|)
  if (y <= Math.sqrt(32)) {
    let num = CODY_C[8] * y;
    let den = y;
    for (let i = 0; i < 7; i += 1) {
      num = (num + CODY_C[i]) * y;
      den = (den + CODY_D[i]) * y;
    }
    upper = (gaussianTail(y) * (num + CODY_C[7])) / (den + CODY_D[7]);
  } else if (y < 40) {
    const xsq = 1 / (y * y);
    let num = CODY_P[5] * xsq;
    let den = xsq;
    for (let i = 0; i < 4; i += 1) {
      num = (num + CODY_P[i]) * xsq;
      den = (den + CODY_Q[i]) * xsq;
    }
    const ratio = (xsq * (num + CODY_P[4])) / (den + CODY_Q[4]);
    upper = (gaussianTail(y) * (INV_SQRT_2PI - ratio)) / y;
  } else {
    upper = 0; // below the smallest double
  }
  return x > 0 ? 1 - upper : upper;
}

/** Upper tail P(Z > x), accurate where 1 - normalCdf(x) would round to 0. */
export function normalSf(x: number): number {
  return normalCdf(-x);
}

// P. J. Acklam's rational approximation of the normal quantile (relative
// error 1.15e-9), refined by one Halley step on normalCdf to full precision.
const ACKLAM_A = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2,
  1.38357751867269e2, -3.066479806614716e1, 2.506628277459239,
];
const ACKLAM_B = [
  -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2,
  6.680131188771972e1, -1.328068155288572e1,
];
const ACKLAM_C = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838,
  -2.549732539343734, 4.374664141464968, 2.938163982698783,
];
const ACKLAM_D = [
  7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996,
  3.754408661907416,
];

function acklam(p: number): number {
  const low = 0.02425;
  if (p < low || p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(p < low ? p : 1 - p));
    const c = ACKLAM_C;
    const d = ACKLAM_D;
    const value =
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    return p < low ? value : -value;
  }
  const q = p - 0.5;
  const r = q * q;
  const a = ACKLAM_A;
  const b = ACKLAM_B;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

/** Inverse of normalCdf on (0, 1); +-Infinity at the ends. */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const x = acklam(p);
  // Halley step, with the residual taken in the smaller tail to keep precision.
  const error = p < 0.5 ? normalCdf(x) - p : -(normalSf(x) - (1 - p));
  const u = error * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

// Lanczos approximation (g = 7, n = 9), relative error about 1e-15.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028,
  771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/**
 * log Gamma(x) - Stirling's approximation, for x >= 10: the part that keeps
 * logBeta accurate when its arguments are huge and nearly cancel.
 */
export function stirlingCorrection(x: number): number {
  const inv = 1 / x;
  const inv2 = inv * inv;
  return (
    inv *
    (1 / 12 +
      inv2 *
        (-1 / 360 +
          inv2 * (1 / 1260 + inv2 * (-1 / 1680 + inv2 * (1 / 1188 + inv2 * (-691 / 360360))))))
  );
}

/** log Gamma(x) for x > 0. */
export function logGamma(x: number): number {
  if (x >= 10) {
    return (x - 0.5) * Math.log(x) - x + HALF_LOG_2PI + stirlingCorrection(x);
  }
  if (x < 0.5) {
    // Recurrence Gamma(x) = Gamma(x + 1) / x keeps Lanczos in its good range.
    return logGamma(x + 1) - Math.log(x);
  }
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i += 1) sum += LANCZOS[i] / (z + i);
  const t = z + 7.5;
  return HALF_LOG_2PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Both shape parameters large enough for the Stirling forms below. */
function bothLarge(a: number, b: number): boolean {
  return a >= 10 && b >= 10;
}

/**
 * log B(a, b) - a log(a / (a+b)) - b log(b / (a+b)) for a, b >= 10: the
 * small remainder after the two huge terms, computed without cancellation.
 */
function logBetaRemainder(a: number, b: number): number {
  const correction = stirlingCorrection(a) + stirlingCorrection(b) - stirlingCorrection(a + b);
  return HALF_LOG_2PI - 0.5 * Math.log((a * b) / (a + b)) + correction;
}

/** log B(a, b) = log Gamma(a) + log Gamma(b) - log Gamma(a + b). */
export function logBeta(a: number, b: number): number {
  if (bothLarge(a, b)) {
    const s = a + b;
    return a * Math.log(a / s) + b * Math.log(b / s) + logBetaRemainder(a, b);
  }
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/**
 * log( x^a (1-x)^b / B(a, b) ), the common factor of the Beta density and CDF.
 *
 * For large a and b both x^a (1-x)^b and B(a, b) underflow and their logs are
 * huge numbers that cancel, so the large case is expanded around the mode
 * x0 = a / (a + b), where the first-order terms cancel exactly.
 */
export function betaLogKernel(a: number, b: number, x: number): number {
  if (x <= 0 || x >= 1) return -Infinity;
  if (bothLarge(a, b)) {
    const x0 = a / (a + b);
    const t1 = (x - x0) / x0;
    const t2 = -(x - x0) / (1 - x0);
    const deviation = a * (Math.log1p(t1) - t1) + b * (Math.log1p(t2) - t2);
    return deviation - logBetaRemainder(a, b);
  }
  return a * Math.log(x) + b * Math.log1p(-x) - logBeta(a, b);
}

/** Density of Beta(a, b) at x. */
export function betaPdf(x: number, a: number, b: number): number {
  if (x <= 0 || x >= 1) return 0;
  return Math.exp(betaLogKernel(a, b, x)) / (x * (1 - x));
}

const TINY = 1e-300;

/** Continued fraction of the incomplete beta (modified Lentz), as in Numerical Recipes. */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const maxIterations = 1000 + 20 * Math.ceil(Math.sqrt(Math.max(a, b)));
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= maxIterations; m += 1) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-16) return h;
  }
  throw new Error(`incomplete beta did not converge (a=${a}, b=${b}, x=${x})`);
}

/** Regularized incomplete beta I_x(a, b), the CDF of Beta(a, b) at x. */
export function betaCdf(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  // The fraction converges fast below the mean; above it, use the symmetry
  // I_x(a, b) = 1 - I_{1-x}(b, a).
  if (x < (a + 1) / (a + b + 2)) {
    return (Math.exp(betaLogKernel(a, b, x)) * betaContinuedFraction(a, b, x)) / a;
  }
  return 1 - (Math.exp(betaLogKernel(b, a, 1 - x)) * betaContinuedFraction(b, a, 1 - x)) / b;
}

// Gauss-Legendre nodes and weights on [-1, 1], computed once by Newton's
// method on the Legendre polynomial (Golub-Welsch would need an eigensolver).
function gaussLegendre(order: number): { nodes: number[]; weights: number[] } {
  const nodes: number[] = [];
  const weights: number[] = [];
  for (let i = 1; i <= order; i += 1) {
    let x = Math.cos((Math.PI * (i - 0.25)) / (order + 0.5));
    let derivative = 0;
    for (let iteration = 0; iteration < 100; iteration += 1) {
      let p0 = 1;
      let p1 = x;
      for (let k = 2; k <= order; k += 1) {
        const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      derivative = (order * (x * p1 - p0)) / (x * x - 1);
      const step = p1 / derivative;
      x -= step;
      if (Math.abs(step) < 1e-16) break;
    }
    nodes.push(x);
    weights.push(2 / ((1 - x * x) * derivative * derivative));
  }
  return { nodes, weights };
}

export const GAUSS_LEGENDRE_12 = gaussLegendre(12);
