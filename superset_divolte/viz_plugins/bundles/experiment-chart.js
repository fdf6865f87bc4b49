// Built by viz-plugins/scripts/build.mjs from viz-plugins/; do not edit by hand.

// superset-shared:@superset-ui/core
var shared = window["__superset__/@superset-ui/core"];
if (!shared) {
  throw new Error('Superset shared module "@superset-ui/core" is missing: is the DYNAMIC_PLUGINS feature flag on?');
}
var main = shared.default !== void 0 ? shared.default : shared;
var ChartMetadata = "ChartMetadata" in shared ? shared["ChartMetadata"] : main["ChartMetadata"];
var ChartPlugin = "ChartPlugin" in shared ? shared["ChartPlugin"] : main["ChartPlugin"];
var buildQueryContext = "buildQueryContext" in shared ? shared["buildQueryContext"] : main["buildQueryContext"];

// superset-shared:react
var shared2 = window["__superset__/react"];
if (!shared2) {
  throw new Error('Superset shared module "react" is missing: is the DYNAMIC_PLUGINS feature flag on?');
}
var main2 = shared2.default !== void 0 ? shared2.default : shared2;
var react_default = main2;

// experiment-chart/src/format.ts
function formatPercent(value, digits = 2) {
  if (value === null || !Number.isFinite(value)) return "–";
  return `${(value * 100).toFixed(digits)}%`;
}
function formatSignedPercent(value, digits = 1) {
  if (value === null || !Number.isFinite(value)) return "–";
  const sign = value > 0 ? "+" : value < 0 ? "−" : "±";
  return `${sign}${Math.abs(value * 100).toFixed(digits)}%`;
}
function formatPoints(value, digits = 2) {
  if (value === null || !Number.isFinite(value)) return "–";
  const sign = value > 0 ? "+" : value < 0 ? "−" : "±";
  return `${sign}${Math.abs(value * 100).toFixed(digits)}`;
}
function formatCount(value) {
  return Math.round(value).toLocaleString("en-US");
}
function formatPValue(value) {
  if (value === null || !Number.isFinite(value)) return "–";
  if (value < 1e-4) return "<0.0001";
  return value.toPrecision(2);
}
function formatProbability(value) {
  if (value > 0.999) return ">99.9%";
  if (value < 1e-3) return "<0.1%";
  return `${(value * 100).toFixed(1)}%`;
}
function formatInterval(interval, format) {
  if (interval === null) return "";
  return `[${format(interval[0])}, ${format(interval[1])}]`;
}

// experiment-chart/src/ExperimentChart.tsx
var VERDICT_COLOURS = {
  keep_running: { background: "rgba(250, 173, 20, 0.14)", border: "rgb(214, 140, 0)" },
  winner: { background: "rgba(32, 167, 96, 0.14)", border: "rgb(32, 140, 80)" },
  no_difference: { background: "rgba(66, 133, 244, 0.14)", border: "rgb(50, 110, 210)" }
};
var wideCell = {
  padding: "4px 8px",
  textAlign: "right",
  whiteSpace: "nowrap",
  verticalAlign: "top",
  borderBottom: "1px solid rgba(128, 128, 128, 0.25)"
};
var wideHeader = { ...wideCell, whiteSpace: "normal", verticalAlign: "bottom", fontWeight: 600 };
var narrowCell = { ...wideCell, padding: "4px 4px" };
var narrowHeader = { ...wideHeader, padding: "4px 4px" };
var muted = { opacity: 0.65, fontSize: "0.85em" };
var secondLine = { ...muted, display: "block" };
var NARROW = 720;
function numberData(test, value, interval) {
  const data = { "data-test": test, "data-value": value === null ? "" : String(value) };
  if (interval) {
    data["data-lower"] = String(interval[0]);
    data["data-upper"] = String(interval[1]);
  }
  return data;
}
function IntervalBar({
  interval,
  estimate,
  margin,
  width
}) {
  const height = 12;
  const extent = Math.max(Math.abs(interval[0]), Math.abs(interval[1]), margin, 1e-9) * 1.1;
  const x = (value) => (Math.max(-extent, Math.min(extent, value)) + extent) / (2 * extent) * width;
  const excludesZero = interval[0] > 0 || interval[1] < 0;
  const colour = excludesZero ? interval[0] > 0 ? "rgb(32, 140, 80)" : "rgb(200, 60, 60)" : "currentColor";
  return /* @__PURE__ */ react_default.createElement(
    "svg",
    {
      width,
      height,
      style: { verticalAlign: "middle", marginLeft: 6 },
      "aria-hidden": "true"
    },
    /* @__PURE__ */ react_default.createElement("rect", { x: x(-margin), y: 0, width: x(margin) - x(-margin), height, fill: "rgba(66, 133, 244, 0.18)" }),
    /* @__PURE__ */ react_default.createElement("line", { x1: x(0), x2: x(0), y1: 0, y2: height, stroke: "currentColor", strokeOpacity: 0.5 }),
    /* @__PURE__ */ react_default.createElement("line", { x1: x(interval[0]), x2: x(interval[1]), y1: height / 2, y2: height / 2, stroke: colour, strokeWidth: 2 }),
    /* @__PURE__ */ react_default.createElement("circle", { cx: x(estimate), cy: height / 2, r: 3, fill: colour })
  );
}
function VariantRow({
  variant,
  margin,
  narrow
}) {
  const sequential = variant.sequential;
  const cell = narrow ? narrowCell : wideCell;
  const optional = narrow ? { ...cell, display: "none" } : cell;
  const showTag = variant.isControl && variant.name.toLowerCase() !== "control";
  return /* @__PURE__ */ react_default.createElement(
    "tr",
    {
      "data-test": "variant-row",
      "data-variant": variant.name,
      "data-control": String(variant.isControl),
      "data-direction": variant.direction ?? ""
    },
    /* @__PURE__ */ react_default.createElement("td", { style: { ...cell, textAlign: "left", fontWeight: 600 }, "data-test": "variant-name" }, variant.name, showTag ? /* @__PURE__ */ react_default.createElement("span", { style: secondLine }, "control") : null),
    /* @__PURE__ */ react_default.createElement("td", { style: cell, ...numberData("exposed", variant.exposed) }, formatCount(variant.exposed)),
    /* @__PURE__ */ react_default.createElement("td", { style: optional, ...numberData("converted", variant.converted) }, formatCount(variant.converted)),
    /* @__PURE__ */ react_default.createElement("td", { style: cell, ...numberData("rate", variant.rate, variant.rateInterval) }, formatPercent(variant.rate), /* @__PURE__ */ react_default.createElement("span", { style: secondLine }, formatInterval(variant.rateInterval, (v) => formatPercent(v)))),
    /* @__PURE__ */ react_default.createElement("td", { style: cell, ...numberData("uplift", variant.uplift, variant.upliftInterval) }, variant.isControl ? "" : formatSignedPercent(variant.uplift), /* @__PURE__ */ react_default.createElement("span", { style: secondLine }, formatInterval(variant.upliftInterval, (v) => formatSignedPercent(v)))),
    /* @__PURE__ */ react_default.createElement("td", { style: optional, ...numberData("p-value", variant.zTest ? variant.zTest.pValue : null) }, variant.zTest ? formatPValue(variant.zTest.pValue) : ""),
    /* @__PURE__ */ react_default.createElement(
      "td",
      {
        style: cell,
        ...numberData("sequential-difference", variant.difference, sequential ? sequential.interval : null)
      },
      sequential && variant.difference !== null ? /* @__PURE__ */ react_default.createElement(react_default.Fragment, null, formatPoints(variant.difference), /* @__PURE__ */ react_default.createElement(
        IntervalBar,
        {
          interval: sequential.interval,
          estimate: variant.difference,
          margin,
          width: narrow ? 56 : 90
        }
      ), /* @__PURE__ */ react_default.createElement("span", { style: secondLine }, formatInterval(sequential.interval, (v) => formatPoints(v)))) : null
    ),
    /* @__PURE__ */ react_default.createElement("td", { style: cell, ...numberData("always-valid-p", sequential ? sequential.pValue : null) }, sequential ? formatPValue(sequential.pValue) : ""),
    /* @__PURE__ */ react_default.createElement("td", { style: cell, ...numberData("probability-best", variant.probabilityBest) }, formatProbability(variant.probabilityBest))
  );
}
function Message({ width, height, text: text2 }) {
  return /* @__PURE__ */ react_default.createElement("div", { "data-test": "experiment-empty", style: { width, height, display: "flex", alignItems: "center", justifyContent: "center", opacity: 0.7 } }, text2);
}
function ExperimentChart(props) {
  const { width, height, experiment, unit, result, settings, hasData } = props;
  if (!experiment) {
    return /* @__PURE__ */ react_default.createElement(Message, { width, height, text: "Choose an experiment in the chart's controls." });
  }
  if (!hasData) {
    return /* @__PURE__ */ react_default.createElement(Message, { width, height, text: `No data for experiment "${experiment}" (${unit}).` });
  }
  const { verdict } = result;
  const colours = VERDICT_COLOURS[verdict.kind];
  const level = `${Math.round(result.confidenceLevel * 1e3) / 10}%`;
  const headlineSize = Math.max(16, Math.min(30, width / 28));
  const controlRate = result.variants.find((v) => v.isControl)?.rate ?? 0;
  const margin = settings.practicalEffect * controlRate;
  const comparisons = Math.max(1, result.variants.length - 1);
  const narrow = width < NARROW;
  const header = narrow ? narrowHeader : wideHeader;
  return /* @__PURE__ */ react_default.createElement(
    "div",
    {
      "data-test": "experiment-chart",
      "data-experiment": experiment,
      "data-unit": unit,
      "data-alpha": String(result.alpha),
      style: { width, height, overflow: "auto", fontSize: 13, lineHeight: 1.4, boxSizing: "border-box" }
    },
    /* @__PURE__ */ react_default.createElement(
      "div",
      {
        "data-test": "experiment-verdict",
        "data-verdict": verdict.kind,
        "data-winner": verdict.winner ?? "",
        style: {
          background: colours.background,
          borderLeft: `6px solid ${colours.border}`,
          padding: "8px 12px",
          marginBottom: 8,
          borderRadius: 4
        }
      },
      /* @__PURE__ */ react_default.createElement("div", { "data-test": "experiment-verdict-headline", style: { fontSize: headlineSize, fontWeight: 700 } }, verdict.headline),
      /* @__PURE__ */ react_default.createElement("div", { "data-test": "experiment-verdict-detail" }, verdict.detail)
    ),
    /* @__PURE__ */ react_default.createElement("table", { "data-test": "experiment-variants", style: { borderCollapse: "collapse", width: "100%" } }, /* @__PURE__ */ react_default.createElement("thead", null, /* @__PURE__ */ react_default.createElement("tr", null, /* @__PURE__ */ react_default.createElement("th", { style: { ...header, textAlign: "left" } }, "Variant"), /* @__PURE__ */ react_default.createElement("th", { style: header }, unit === "visitors" ? "Visitors" : "Sessions"), /* @__PURE__ */ react_default.createElement("th", { style: narrow ? { ...header, display: "none" } : header }, "Conversions"), /* @__PURE__ */ react_default.createElement("th", { style: header }, "Rate [", level, "]"), /* @__PURE__ */ react_default.createElement("th", { style: header }, "Uplift [", level, "]"), /* @__PURE__ */ react_default.createElement("th", { style: narrow ? { ...header, display: "none" } : header }, "p, fixed horizon"), /* @__PURE__ */ react_default.createElement("th", { style: header }, "Difference, pp [always valid]"), /* @__PURE__ */ react_default.createElement("th", { style: header }, "p, always valid"), /* @__PURE__ */ react_default.createElement("th", { style: header }, "P(best)"))), /* @__PURE__ */ react_default.createElement("tbody", null, result.variants.map((variant) => /* @__PURE__ */ react_default.createElement(VariantRow, { key: variant.name, variant, margin, narrow })))),
    /* @__PURE__ */ react_default.createElement("div", { "data-test": "experiment-footnote", style: { ...muted, marginTop: 6 } }, "α = ", result.alpha, " split over ", comparisons, " comparison", comparisons === 1 ? "" : "s", ". The verdict uses the always-valid test (mSPRT), safe to check at every refresh; the fixed-horizon p is valid only at a sample size set in advance. Minimum ", formatCount(settings.minSamplePerVariant), " units per variant; an uplift under ", formatPercent(settings.practicalEffect, 0), " does not matter (shaded). P(best): Beta(1,1) prior."),
    result.warnings.map((warning) => /* @__PURE__ */ react_default.createElement("div", { key: warning, "data-test": "experiment-warning", style: { color: "rgb(200, 60, 60)" } }, warning))
  );
}

// experiment-chart/src/special.ts
var HALF_LOG_2PI = 0.9189385332046728;
var INV_SQRT_2PI = 0.3989422804014327;
var CODY_A = [
  2.2352520354606837,
  161.02823106855587,
  1067.6894854603709,
  18154.98125334356,
  0.06568233791820745
];
var CODY_B = [
  47.202581904688245,
  976.0985517377767,
  10260.932208618979,
  45507.78933502673
];
var CODY_C = [
  0.39894151208813466,
  8.883149794388377,
  93.50665613217785,
  597.2702763948002,
  2494.5375852903726,
  6848.190450536283,
  11602.65143764735,
  9842.714838383978,
  10765576773720192e-24
];
var CODY_D = [
  22.266688044328117,
  235.387901782625,
  1519.3775994075547,
  6485.558298266761,
  18615.571640885097,
  34900.95272114598,
  38912.00328609327,
  19685.429676859992
];
var CODY_P = [
  0.215898534057957,
  0.12740116116024736,
  0.022235277870649807,
  0.0014216191932278934,
  29112874951168793e-21,
  0.023073441764940174
];
var CODY_Q = [
  1.284260096144911,
  0.4682382124808651,
  0.06598813786892856,
  0.0037823963320275824,
  7297515550839662e-20
];
function gaussianTail(y) {
  const head = Math.trunc(y * 16) / 16;
  const rest = (y - head) * (y + head);
  return Math.exp(-head * head * 0.5) * Math.exp(-rest * 0.5);
}
function normalCdf(x) {
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
    return 0.5 + x * (num + CODY_A[3]) / (den + CODY_B[3]);
  }
  let upper;
  if (y <= Math.sqrt(32)) {
    let num = CODY_C[8] * y;
    let den = y;
    for (let i = 0; i < 7; i += 1) {
      num = (num + CODY_C[i]) * y;
      den = (den + CODY_D[i]) * y;
    }
    upper = gaussianTail(y) * (num + CODY_C[7]) / (den + CODY_D[7]);
  } else if (y < 40) {
    const xsq = 1 / (y * y);
    let num = CODY_P[5] * xsq;
    let den = xsq;
    for (let i = 0; i < 4; i += 1) {
      num = (num + CODY_P[i]) * xsq;
      den = (den + CODY_Q[i]) * xsq;
    }
    const ratio = xsq * (num + CODY_P[4]) / (den + CODY_Q[4]);
    upper = gaussianTail(y) * (INV_SQRT_2PI - ratio) / y;
  } else {
    upper = 0;
  }
  return x > 0 ? 1 - upper : upper;
}
function normalSf(x) {
  return normalCdf(-x);
}
var ACKLAM_A = [
  -39.69683028665376,
  220.9460984245205,
  -275.9285104469687,
  138.357751867269,
  -30.66479806614716,
  2.506628277459239
];
var ACKLAM_B = [
  -54.47609879822406,
  161.5858368580409,
  -155.6989798598866,
  66.80131188771972,
  -13.28068155288572
];
var ACKLAM_C = [
  -0.007784894002430293,
  -0.3223964580411365,
  -2.400758277161838,
  -2.549732539343734,
  4.374664141464968,
  2.938163982698783
];
var ACKLAM_D = [
  0.007784695709041462,
  0.3224671290700398,
  2.445134137142996,
  3.754408661907416
];
function acklam(p) {
  const low = 0.02425;
  if (p < low || p > 1 - low) {
    const q2 = Math.sqrt(-2 * Math.log(p < low ? p : 1 - p));
    const c = ACKLAM_C;
    const d = ACKLAM_D;
    const value = (((((c[0] * q2 + c[1]) * q2 + c[2]) * q2 + c[3]) * q2 + c[4]) * q2 + c[5]) / ((((d[0] * q2 + d[1]) * q2 + d[2]) * q2 + d[3]) * q2 + 1);
    return p < low ? value : -value;
  }
  const q = p - 0.5;
  const r = q * q;
  const a = ACKLAM_A;
  const b = ACKLAM_B;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}
function normalQuantile(p) {
  if (!(p >= 0 && p <= 1)) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const x = acklam(p);
  const error = p < 0.5 ? normalCdf(x) - p : -(normalSf(x) - (1 - p));
  const u = error * Math.sqrt(2 * Math.PI) * Math.exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}
var LANCZOS = [
  0.9999999999998099,
  676.5203681218851,
  -1259.1392167224028,
  771.3234287776531,
  -176.6150291621406,
  12.507343278686905,
  -0.13857109526572012,
  9984369578019572e-21,
  15056327351493116e-23
];
function stirlingCorrection(x) {
  const inv = 1 / x;
  const inv2 = inv * inv;
  return inv * (1 / 12 + inv2 * (-1 / 360 + inv2 * (1 / 1260 + inv2 * (-1 / 1680 + inv2 * (1 / 1188 + inv2 * (-691 / 360360))))));
}
function logGamma(x) {
  if (x >= 10) {
    return (x - 0.5) * Math.log(x) - x + HALF_LOG_2PI + stirlingCorrection(x);
  }
  if (x < 0.5) {
    return logGamma(x + 1) - Math.log(x);
  }
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i += 1) sum += LANCZOS[i] / (z + i);
  const t = z + 7.5;
  return HALF_LOG_2PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}
function bothLarge(a, b) {
  return a >= 10 && b >= 10;
}
function logBetaRemainder(a, b) {
  const correction = stirlingCorrection(a) + stirlingCorrection(b) - stirlingCorrection(a + b);
  return HALF_LOG_2PI - 0.5 * Math.log(a * b / (a + b)) + correction;
}
function logBeta(a, b) {
  if (bothLarge(a, b)) {
    const s = a + b;
    return a * Math.log(a / s) + b * Math.log(b / s) + logBetaRemainder(a, b);
  }
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}
function betaLogKernel(a, b, x) {
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
function betaPdf(x, a, b) {
  if (x <= 0 || x >= 1) return 0;
  return Math.exp(betaLogKernel(a, b, x)) / (x * (1 - x));
}
var TINY = 1e-300;
function betaContinuedFraction(a, b, x) {
  const maxIterations = 1e3 + 20 * Math.ceil(Math.sqrt(Math.max(a, b)));
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - qab * x / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= maxIterations; m += 1) {
    const m2 = 2 * m;
    let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
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
function betaCdf(x, a, b) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  if (x < (a + 1) / (a + b + 2)) {
    return Math.exp(betaLogKernel(a, b, x)) * betaContinuedFraction(a, b, x) / a;
  }
  return 1 - Math.exp(betaLogKernel(b, a, 1 - x)) * betaContinuedFraction(b, a, 1 - x) / b;
}
function gaussLegendre(order) {
  const nodes = [];
  const weights = [];
  for (let i = 1; i <= order; i += 1) {
    let x = Math.cos(Math.PI * (i - 0.25) / (order + 0.5));
    let derivative = 0;
    for (let iteration = 0; iteration < 100; iteration += 1) {
      let p0 = 1;
      let p1 = x;
      for (let k = 2; k <= order; k += 1) {
        const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      derivative = order * (x * p1 - p0) / (x * x - 1);
      const step = p1 / derivative;
      x -= step;
      if (Math.abs(step) < 1e-16) break;
    }
    nodes.push(x);
    weights.push(2 / ((1 - x * x) * derivative * derivative));
  }
  return { nodes, weights };
}
var GAUSS_LEGENDRE_12 = gaussLegendre(12);

// experiment-chart/src/stats.ts
var DEFAULT_SETTINGS = {
  control: "control",
  alpha: 0.05,
  minSamplePerVariant: 1e3,
  practicalEffect: 0.1,
  tau: 0.01
};
function wilsonInterval(converted, exposed, alpha) {
  if (exposed <= 0) return [0, 1];
  const z = normalQuantile(1 - alpha / 2);
  const z2 = z * z;
  const p = converted / exposed;
  const denominator = 1 + z2 / exposed;
  const centre = (p + z2 / (2 * exposed)) / denominator;
  const half = z * Math.sqrt(p * (1 - p) / exposed + z2 / (4 * exposed * exposed)) / denominator;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}
function upliftInterval(treatment, control, alpha) {
  const { converted: xt, exposed: nt } = treatment;
  const { converted: xc, exposed: nc } = control;
  if (xt <= 0 || xc <= 0 || nt <= 0 || nc <= 0) return null;
  const logRatio = Math.log(xt / nt / (xc / nc));
  const se = Math.sqrt(1 / xt - 1 / nt + 1 / xc - 1 / nc);
  const z = normalQuantile(1 - alpha / 2);
  return [Math.expm1(logRatio - z * se), Math.expm1(logRatio + z * se)];
}
function twoProportionZTest(treatment, control) {
  const { converted: xt, exposed: nt } = treatment;
  const { converted: xc, exposed: nc } = control;
  if (nt <= 0 || nc <= 0) return { z: 0, pValue: 1 };
  const pooled = (xt + xc) / (nt + nc);
  const variance = pooled * (1 - pooled) * (1 / nt + 1 / nc);
  if (variance <= 0) return { z: 0, pValue: 1 };
  const z = (xt / nt - xc / nc) / Math.sqrt(variance);
  return { z, pValue: Math.min(1, 2 * normalSf(Math.abs(z))) };
}
function differenceVariance(treatment, control) {
  const pt = treatment.converted / treatment.exposed;
  const pc = control.converted / control.exposed;
  return pt * (1 - pt) / treatment.exposed + pc * (1 - pc) / control.exposed;
}
function mixtureSequentialTest(treatment, control, alpha, tau) {
  const noEvidence = { logLikelihoodRatio: 0, pValue: 1, interval: [-1, 1] };
  if (treatment.exposed <= 0 || control.exposed <= 0) return noEvidence;
  const variance = differenceVariance(treatment, control);
  if (!(variance > 0)) return noEvidence;
  const tau2 = tau * tau;
  const difference = treatment.converted / treatment.exposed - control.converted / control.exposed;
  const logLikelihoodRatio = 0.5 * Math.log(variance / (variance + tau2)) + tau2 * difference * difference / (2 * variance * (variance + tau2));
  const halfWidth = Math.sqrt(
    variance * (variance + tau2) / tau2 * (2 * Math.log(1 / alpha) + Math.log((variance + tau2) / variance))
  );
  return {
    logLikelihoodRatio,
    pValue: Math.min(1, Math.exp(-logLikelihoodRatio)),
    interval: [Math.max(-1, difference - halfWidth), Math.min(1, difference + halfWidth)]
  };
}
var QUADRATURE_STEPS = [
  -40,
  -25,
  -15,
  -10,
  -8,
  -6,
  -5,
  -4,
  -3,
  -2,
  -1,
  0,
  1,
  2,
  3,
  4,
  5,
  6,
  8,
  10,
  15,
  25,
  40
];
function posteriorBreakpoints({ a, b }) {
  const mean = a / (a + b);
  const sd = Math.sqrt(a * b / ((a + b) * (a + b) * (a + b + 1)));
  return QUADRATURE_STEPS.map((step) => mean + step * sd);
}
function quadratureSegments(posteriors) {
  const points = [0, 1, ...posteriors.flatMap(posteriorBreakpoints)].filter((point) => point >= 0 && point <= 1).sort((x, y) => x - y);
  return points.filter((point, i) => i === 0 || point > points[i - 1]);
}
function probabilityBest(variants) {
  if (variants.length === 0) return [];
  if (variants.length === 1) return [1];
  const posteriors = variants.map(({ exposed, converted }) => ({
    a: 1 + converted,
    b: 1 + exposed - converted
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
function sanitizeCounts(rows, warnings) {
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
function compareToControl(variant, control, comparisonAlpha, tau) {
  const rate = (counts) => counts.exposed > 0 ? counts.converted / counts.exposed : null;
  const rt = rate(variant);
  const rc = rate(control);
  const sequential = mixtureSequentialTest(variant, control, comparisonAlpha, tau);
  let direction = "undecided";
  if (sequential.pValue <= comparisonAlpha) {
    direction = sequential.interval[0] > 0 ? "better" : "worse";
  }
  return {
    difference: rt !== null && rc !== null ? rt - rc : null,
    uplift: rt !== null && rc !== null && rc > 0 ? rt / rc - 1 : null,
    upliftInterval: upliftInterval(variant, control, comparisonAlpha),
    zTest: twoProportionZTest(variant, control),
    sequential,
    direction
  };
}
function percent(value) {
  return `${(value * 100).toFixed(1)}%`;
}
function verdictFor(variants, control, settings) {
  const keepRunning = (detail) => ({
    kind: "keep_running",
    winner: null,
    headline: "Keep running",
    detail
  });
  if (variants.length < 2) return keepRunning("Needs at least two variants.");
  if (!control) return keepRunning(`Control variant "${settings.control}" not found.`);
  const smallest = Math.min(...variants.map((v) => v.exposed));
  if (smallest < settings.minSamplePerVariant) {
    return keepRunning(
      `Every variant needs ${settings.minSamplePerVariant.toLocaleString("en-US")} units before a decision (smallest so far: ${smallest.toLocaleString("en-US")}).`
    );
  }
  const treatments = variants.filter((v) => !v.isControl);
  const better = treatments.filter((v) => v.direction === "better");
  if (better.length > 0) {
    const winner = better.reduce((best, v) => (v.rate ?? 0) > (best.rate ?? 0) ? v : best);
    return {
      kind: "winner",
      winner: winner.name,
      headline: `Stop: ${winner.name} wins`,
      detail: `${winner.name} converts better than ${control.name} (always-valid ${describeP(
        winner.sequential?.pValue ?? 1
      )}).`
    };
  }
  if (treatments.every((v) => v.direction === "worse")) {
    return {
      kind: "winner",
      winner: control.name,
      headline: `Stop: ${control.name} wins`,
      detail: `Every other variant converts worse than ${control.name}.`
    };
  }
  const margin = settings.practicalEffect * (control.rate ?? 0);
  const negligible = treatments.every((v) => {
    const interval = v.sequential?.interval;
    return interval !== void 0 && margin > 0 && interval[0] > -margin && interval[1] < margin;
  });
  if (negligible) {
    return {
      kind: "no_difference",
      winner: null,
      headline: "Stop: no meaningful difference",
      detail: `Every variant is within ±${percent(settings.practicalEffect)} of ${control.name}.`
    };
  }
  return keepRunning("No variant is decisively different yet.");
}
function describeP(p) {
  return p < 1e-4 ? "p < 0.0001" : `p = ${p.toPrecision(2)}`;
}
function analyzeExperiment(rows, settings) {
  const warnings = [];
  const counts = sanitizeCounts(rows, warnings);
  const controlCounts = counts.find((v) => v.name === settings.control);
  const comparisons = Math.max(1, counts.length - 1);
  const comparisonAlpha = settings.alpha / comparisons;
  const best = probabilityBest(counts);
  const variants = counts.map((v, i) => {
    const isControl = v === controlCounts;
    const base = {
      ...v,
      isControl,
      rate: v.exposed > 0 ? v.converted / v.exposed : null,
      rateInterval: v.exposed > 0 ? wilsonInterval(v.converted, v.exposed, comparisonAlpha) : null,
      probabilityBest: best[i]
    };
    if (isControl || !controlCounts) {
      return {
        ...base,
        difference: null,
        uplift: null,
        upliftInterval: null,
        zTest: null,
        sequential: null,
        direction: null
      };
    }
    return { ...base, ...compareToControl(v, controlCounts, comparisonAlpha, settings.tau) };
  });
  variants.sort((p, q) => Number(q.isControl) - Number(p.isControl) || p.name.localeCompare(q.name));
  const control = variants.find((v) => v.isControl);
  return {
    variants,
    control: control ? control.name : null,
    alpha: settings.alpha,
    comparisonAlpha,
    confidenceLevel: 1 - comparisonAlpha,
    verdict: verdictFor(variants, control, settings),
    warnings
  };
}

// experiment-chart/src/settings.ts
var FIELDS = {
  experiment: "experiment",
  controlVariant: "control_variant",
  unit: "unit",
  alpha: "alpha",
  minSamplePerVariant: "min_sample_per_variant",
  practicalEffect: "practical_effect",
  tau: "sequential_tau",
  experimentColumn: "experiment_column",
  variantColumn: "variant_column",
  unitColumn: "unit_column",
  exposedColumn: "exposed_column",
  convertedColumn: "converted_column"
};
var DEFAULT_COLUMNS = {
  experiment: "experiment",
  variant: "variant",
  unit: "unit",
  exposed: "exposed",
  converted: "converted"
};
var UNITS = ["sessions", "visitors"];
var DEFAULT_UNIT = "sessions";
var EXPOSED_LABEL = "exposed_units";
var CONVERTED_LABEL = "converted_units";
function text(formData, key, fallback) {
  const value = formData[key];
  if (value === void 0 || value === null) return fallback;
  return String(value).trim();
}
function number(formData, key, fallback) {
  const value = Number(formData[key]);
  return formData[key] === "" || !Number.isFinite(value) ? fallback : value;
}
function readQuerySettings(formData) {
  return {
    experiment: text(formData, FIELDS.experiment, ""),
    unit: text(formData, FIELDS.unit, DEFAULT_UNIT),
    experimentColumn: text(formData, FIELDS.experimentColumn, DEFAULT_COLUMNS.experiment),
    variantColumn: text(formData, FIELDS.variantColumn, DEFAULT_COLUMNS.variant),
    unitColumn: text(formData, FIELDS.unitColumn, DEFAULT_COLUMNS.unit),
    exposedColumn: text(formData, FIELDS.exposedColumn, DEFAULT_COLUMNS.exposed),
    convertedColumn: text(formData, FIELDS.convertedColumn, DEFAULT_COLUMNS.converted)
  };
}
function readStatSettings(formData) {
  const alpha = number(formData, FIELDS.alpha, DEFAULT_SETTINGS.alpha);
  const minSample = number(formData, FIELDS.minSamplePerVariant, DEFAULT_SETTINGS.minSamplePerVariant);
  const practical = number(formData, FIELDS.practicalEffect, DEFAULT_SETTINGS.practicalEffect);
  const tau = number(formData, FIELDS.tau, DEFAULT_SETTINGS.tau);
  return {
    control: text(formData, FIELDS.controlVariant, DEFAULT_SETTINGS.control),
    alpha: alpha > 0 && alpha < 0.5 ? alpha : DEFAULT_SETTINGS.alpha,
    minSamplePerVariant: Math.max(0, Math.round(minSample)),
    practicalEffect: practical > 0 ? practical : DEFAULT_SETTINGS.practicalEffect,
    tau: tau > 0 ? tau : DEFAULT_SETTINGS.tau
  };
}

// experiment-chart/src/query.ts
function experimentFilters(settings) {
  const filters = [];
  if (settings.experiment && settings.experimentColumn) {
    filters.push({ col: settings.experimentColumn, op: "==", val: settings.experiment });
  }
  if (settings.unit && settings.unitColumn) {
    filters.push({ col: settings.unitColumn, op: "==", val: settings.unit });
  }
  return filters;
}
function sumOf(column, label) {
  return {
    expressionType: "SIMPLE",
    column: { column_name: column },
    aggregate: "SUM",
    label,
    hasCustomLabel: true,
    optionName: `metric_${label}`
  };
}
function experimentMetrics(settings) {
  return [
    sumOf(settings.exposedColumn, EXPOSED_LABEL),
    sumOf(settings.convertedColumn, CONVERTED_LABEL)
  ];
}

// experiment-chart/src/buildQuery.ts
var ROW_LIMIT = 1e3;
function buildQuery(formData) {
  const settings = readQuerySettings(formData);
  return buildQueryContext(formData, (baseQueryObject) => [
    {
      ...baseQueryObject,
      columns: [settings.variantColumn],
      metrics: experimentMetrics(settings),
      filters: [...baseQueryObject.filters ?? [], ...experimentFilters(settings)],
      orderby: [],
      row_limit: ROW_LIMIT
    }
  ]);
}

// shared/src/controls.ts
function columnControl(name, label, defaultColumn, description) {
  return {
    name,
    config: {
      type: "SelectControl",
      label,
      description,
      default: defaultColumn,
      freeForm: true,
      clearable: false,
      mapStateToProps: (state) => ({
        choices: (state.datasource?.columns ?? []).map((column) => [column.column_name, column.column_name])
      })
    }
  };
}

// experiment-chart/src/controlPanel.ts
var experimentRows = [
  [
    {
      name: FIELDS.experiment,
      config: {
        type: "TextControl",
        label: "Experiment",
        description: "Name of the experiment, as in the experiment column.",
        default: ""
      }
    }
  ],
  [
    {
      name: FIELDS.controlVariant,
      config: {
        type: "TextControl",
        label: "Control variant",
        description: "The variant the others are compared with.",
        default: DEFAULT_SETTINGS.control,
        renderTrigger: true
      }
    }
  ],
  [
    {
      name: FIELDS.unit,
      config: {
        type: "SelectControl",
        label: "Unit",
        description: "Count exposed and converted sessions or visitors.",
        default: DEFAULT_UNIT,
        clearable: false,
        choices: UNITS.map((unit) => [unit, unit[0].toUpperCase() + unit.slice(1)])
      }
    }
  ],
  [
    {
      name: FIELDS.alpha,
      config: {
        type: "SelectControl",
        label: "Significance level (alpha)",
        description: "Chance of declaring a difference when there is none, over the whole experiment however often it is looked at; split over the comparisons with control.",
        default: DEFAULT_SETTINGS.alpha,
        freeForm: true,
        clearable: false,
        renderTrigger: true,
        choices: [
          [0.01, "0.01"],
          [0.05, "0.05"],
          [0.1, "0.10"]
        ]
      }
    }
  ],
  [
    {
      name: FIELDS.minSamplePerVariant,
      config: {
        type: "TextControl",
        label: "Minimum units per variant",
        description: "No verdict to stop before every variant has this many exposed units.",
        default: DEFAULT_SETTINGS.minSamplePerVariant,
        isInt: true,
        renderTrigger: true
      }
    }
  ],
  ["adhoc_filters"]
];
var advancedRows = [
  [
    {
      name: FIELDS.practicalEffect,
      config: {
        type: "TextControl",
        label: "Smallest uplift that matters",
        description: `Relative uplift (0.1 = 10%). Stop with "no meaningful difference" once every variant's always-valid interval lies within this margin of control.`,
        default: DEFAULT_SETTINGS.practicalEffect,
        isFloat: true,
        renderTrigger: true
      }
    }
  ],
  [
    {
      name: FIELDS.tau,
      config: {
        type: "TextControl",
        label: "Sequential prior scale (tau)",
        description: "Standard deviation of the mSPRT mixing prior on the absolute difference of conversion rates. Tunes power to effects of about this size; validity holds for any value.",
        default: DEFAULT_SETTINGS.tau,
        isFloat: true,
        renderTrigger: true
      }
    }
  ]
];
var columnRows = [
  [columnControl(FIELDS.experimentColumn, "Experiment column", DEFAULT_COLUMNS.experiment, "Holds the experiment name.")],
  [columnControl(FIELDS.variantColumn, "Variant column", DEFAULT_COLUMNS.variant, "Holds the variant name.")],
  [columnControl(FIELDS.unitColumn, "Unit column", DEFAULT_COLUMNS.unit, "Holds 'sessions' or 'visitors'.")],
  [columnControl(FIELDS.exposedColumn, "Exposed column", DEFAULT_COLUMNS.exposed, "Units that saw the variant; summed.")],
  [columnControl(FIELDS.convertedColumn, "Converted column", DEFAULT_COLUMNS.converted, "Units that converted; summed.")]
];
var controlPanel = {
  controlPanelSections: [
    { label: "Experiment", expanded: true, controlSetRows: experimentRows },
    { label: "Statistics", expanded: false, controlSetRows: advancedRows },
    { label: "Dataset columns", expanded: false, controlSetRows: columnRows }
  ]
};
var controlPanel_default = controlPanel;

// experiment-chart/src/thumbnail.ts
var SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 160 120">
<rect width="160" height="120" fill="#f7f7f7"/>
<rect x="10" y="10" width="140" height="24" rx="3" fill="#d6f0e0" stroke="#208c50"/>
<text x="20" y="27" font-family="sans-serif" font-size="12" font-weight="bold" fill="#1e5e38">B wins</text>
<line x1="80" y1="44" x2="80" y2="112" stroke="#999" stroke-dasharray="3 2"/>
<line x1="50" y1="58" x2="100" y2="58" stroke="#555" stroke-width="3"/><circle cx="75" cy="58" r="5" fill="#555"/>
<line x1="88" y1="80" x2="140" y2="80" stroke="#208c50" stroke-width="3"/><circle cx="114" cy="80" r="5" fill="#208c50"/>
<line x1="45" y1="102" x2="110" y2="102" stroke="#555" stroke-width="3"/><circle cx="78" cy="102" r="5" fill="#555"/>
</svg>`;
var THUMBNAIL = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(SVG)}`;

// experiment-chart/src/transformProps.ts
function variantCounts(rows, variantColumn) {
  const byName = /* @__PURE__ */ new Map();
  rows.forEach((row) => {
    const name = String(row[variantColumn] ?? "(none)");
    const current = byName.get(name) ?? { name, exposed: 0, converted: 0 };
    current.exposed += Number(row[EXPOSED_LABEL] ?? 0) || 0;
    current.converted += Number(row[CONVERTED_LABEL] ?? 0) || 0;
    byName.set(name, current);
  });
  return [...byName.values()];
}
function transformProps(chartProps) {
  const formData = chartProps.rawFormData ?? chartProps.formData ?? {};
  const query = readQuerySettings(formData);
  const settings = readStatSettings(formData);
  const rows = chartProps.queriesData?.[0]?.data ?? [];
  const counts = variantCounts(rows, query.variantColumn);
  return {
    width: chartProps.width,
    height: chartProps.height,
    experiment: query.experiment,
    unit: query.unit,
    settings,
    result: analyzeExperiment(counts, settings),
    hasData: counts.length > 0
  };
}

// experiment-chart/src/index.ts
var VIZ_TYPE = "divolte_experiment";
var metadata = new ChartMetadata({
  name: "Experiment (A/B test)",
  description: "Conversion per variant of an A/B experiment with intervals, uplift versus control, a fixed-horizon z-test, an always-valid sequential test safe to check at every refresh, the probability each variant is best, and a plain verdict.",
  category: "Statistics",
  tags: ["Experiment", "A/B test", "Statistical", "Table"],
  thumbnail: THUMBNAIL,
  useLegacyApi: false
});
var ExperimentChartPlugin = class extends ChartPlugin {
  constructor() {
    super({ metadata, buildQuery, transformProps, controlPanel: controlPanel_default, Chart: ExperimentChart });
  }
};
new ExperimentChartPlugin().configure({ key: VIZ_TYPE }).register();
export {
  VIZ_TYPE,
  ExperimentChartPlugin as default
};
