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
  if (value === Infinity) return "+∞";
  if (value === null || !Number.isFinite(value)) return "–";
  const sign = value > 0 ? "+" : value < 0 ? "−" : "±";
  return `${sign}${Math.abs(value * 100).toFixed(digits)}%`;
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
  no_difference: { background: "rgba(66, 133, 244, 0.14)", border: "rgb(50, 110, 210)" },
  broken_split: { background: "rgba(220, 50, 50, 0.16)", border: "rgb(200, 40, 40)" },
  time_filtered: { background: "rgba(220, 50, 50, 0.16)", border: "rgb(200, 40, 40)" }
};
var EVERY_LOOK = "valid at every look";
var PLANNED = "only at a planned size";
var NARROW = 720;
function layoutFor(width) {
  const narrow = width < NARROW;
  const cell = {
    padding: narrow ? "4px 4px" : "4px 8px",
    textAlign: "right",
    whiteSpace: "nowrap",
    verticalAlign: "middle",
    borderBottom: "1px solid rgba(128, 128, 128, 0.25)"
  };
  return {
    narrow,
    cell,
    header: { ...cell, whiteSpace: "normal", verticalAlign: "bottom", fontWeight: 600 },
    optional: narrow ? { ...cell, display: "none" } : cell,
    barWidth: narrow ? 56 : 90
  };
}
var muted = { opacity: 0.7, fontSize: "0.85em" };
var main3 = { fontSize: "1.3em", fontWeight: 600 };
var secondLine = { ...muted, display: "block" };
var validity = { ...secondLine, fontWeight: 400, fontStyle: "italic" };
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
  const finite = [interval[0], interval[1], estimate ?? 0].filter(Number.isFinite).map(Math.abs);
  const extent = Math.min(1, Math.max(margin, 1e-9, ...finite)) * 1.1;
  const x = (value) => (Math.max(-extent, Math.min(extent, value)) + extent) / (2 * extent) * width;
  const excludesZero = interval[0] > 0 || interval[1] < 0;
  const colour = excludesZero ? interval[0] > 0 ? "rgb(32, 140, 80)" : "rgb(200, 60, 60)" : "currentColor";
  return /* @__PURE__ */ react_default.createElement("svg", { width, height, style: { verticalAlign: "middle", marginLeft: 6 }, "aria-hidden": "true" }, /* @__PURE__ */ react_default.createElement("rect", { x: x(-margin), y: 0, width: x(margin) - x(-margin), height, fill: "rgba(66, 133, 244, 0.18)" }), /* @__PURE__ */ react_default.createElement("line", { x1: x(0), x2: x(0), y1: 0, y2: height, stroke: "currentColor", strokeOpacity: 0.5 }), /* @__PURE__ */ react_default.createElement("line", { x1: x(interval[0]), x2: x(interval[1]), y1: height / 2, y2: height / 2, stroke: colour, strokeWidth: 2 }), estimate !== null ? /* @__PURE__ */ react_default.createElement("circle", { cx: x(estimate), cy: height / 2, r: 3, fill: colour }) : null);
}
function UpliftCell({ variant, margin, layout }) {
  const sequential = variant.sequential;
  const interval = sequential ? sequential.upliftInterval : null;
  return /* @__PURE__ */ react_default.createElement("td", { style: layout.cell, ...numberData("uplift", variant.uplift, interval) }, variant.isControl ? null : /* @__PURE__ */ react_default.createElement(react_default.Fragment, null, /* @__PURE__ */ react_default.createElement("span", { style: main3 }, formatSignedPercent(variant.uplift)), interval ? /* @__PURE__ */ react_default.createElement(IntervalBar, { interval, estimate: variant.uplift, margin, width: layout.barWidth }) : null, /* @__PURE__ */ react_default.createElement("span", { style: secondLine }, interval ? formatInterval(interval, (v) => formatSignedPercent(v)) : "no conversions yet")));
}
function VariantRow({ variant, margin, layout }) {
  const { cell, optional } = layout;
  const sequential = variant.sequential;
  const showTag = variant.isControl && variant.name.toLowerCase() !== "control";
  return /* @__PURE__ */ react_default.createElement(
    "tr",
    {
      "data-test": "variant-row",
      "data-variant": variant.name,
      "data-control": String(variant.isControl),
      "data-direction": variant.direction ?? ""
    },
    /* @__PURE__ */ react_default.createElement("td", { style: { ...cell, textAlign: "left" }, "data-test": "variant-name" }, /* @__PURE__ */ react_default.createElement("span", { style: main3 }, variant.name), showTag ? /* @__PURE__ */ react_default.createElement("span", { style: secondLine }, "control") : null),
    /* @__PURE__ */ react_default.createElement("td", { style: cell, ...numberData("exposed", variant.exposed) }, /* @__PURE__ */ react_default.createElement("span", { style: main3 }, formatCount(variant.exposed))),
    /* @__PURE__ */ react_default.createElement("td", { style: optional, ...numberData("converted", variant.converted) }, formatCount(variant.converted)),
    /* @__PURE__ */ react_default.createElement("td", { style: cell, ...numberData("rate", variant.rate, variant.rateInterval) }, /* @__PURE__ */ react_default.createElement("span", { style: main3 }, formatPercent(variant.rate)), /* @__PURE__ */ react_default.createElement("span", { style: secondLine }, formatInterval(variant.rateInterval, (v) => formatPercent(v)))),
    /* @__PURE__ */ react_default.createElement(UpliftCell, { variant, margin, layout }),
    /* @__PURE__ */ react_default.createElement("td", { style: cell, ...numberData("always-valid-p", sequential ? sequential.pValue : null) }, /* @__PURE__ */ react_default.createElement("span", { style: main3 }, sequential ? formatPValue(sequential.pValue) : "")),
    /* @__PURE__ */ react_default.createElement("td", { style: optional, ...numberData("p-value", variant.zTest ? variant.zTest.pValue : null) }, variant.isControl ? "" : formatPValue(variant.zTest ? variant.zTest.pValue : null)),
    /* @__PURE__ */ react_default.createElement("td", { style: cell, ...numberData("probability-best", variant.probabilityBest) }, /* @__PURE__ */ react_default.createElement("span", { style: main3 }, formatProbability(variant.probabilityBest)))
  );
}
function HeaderRow({ unit, level, layout }) {
  const { header } = layout;
  const optionalHeader = layout.narrow ? { ...header, display: "none" } : header;
  const head = (style, title, note) => /* @__PURE__ */ react_default.createElement("th", { style }, title, /* @__PURE__ */ react_default.createElement("span", { style: validity }, note));
  return /* @__PURE__ */ react_default.createElement("tr", null, /* @__PURE__ */ react_default.createElement("th", { style: { ...header, textAlign: "left" } }, "Variant"), /* @__PURE__ */ react_default.createElement("th", { style: header }, unit === "visitors" ? "Visitors" : "Sessions"), /* @__PURE__ */ react_default.createElement("th", { style: optionalHeader }, "Conversions"), head(header, `Rate [${level}]`, `interval ${PLANNED}`), head(header, `Uplift [${level}]`, `interval ${EVERY_LOOK}`), head(header, "p", EVERY_LOOK), head(optionalHeader, "p, z-test", PLANNED), head(header, "P(best)", "Bayesian, flat prior"));
}
function describeLeftOut(arms) {
  return arms.map((v) => `${v.name}: ${formatCount(v.exposed)} units, ${formatCount(v.converted)} conversions`).join("; ");
}
function plural(n, noun) {
  return `${formatCount(n)} ${noun}${n === 1 ? "" : "s"}`;
}
function SideNotes({ result, tunedUplift }) {
  const srm = result.sampleRatio;
  const arms = result.variants.length;
  const pairs = arms * (arms - 1) / 2;
  return /* @__PURE__ */ react_default.createElement("div", { style: { ...muted, marginTop: 8 } }, srm ? /* @__PURE__ */ react_default.createElement("div", { "data-test": "experiment-srm", "data-value": String(srm.pValue), "data-passed": String(srm.passed) }, "Split check ", srm.passed ? "passed" : "FAILED", ": observed", " ", srm.observed.map((v) => `${v.name} ${formatPercent(v.share, 1)}`).join(", "), ", intended", " ", srm.observed.map((v) => formatPercent(v.intendedShare, 1)).join(" / "), " (sequential, p =", " ", formatPValue(srm.pValue), ").") : null, result.leftOut.length > 0 ? /* @__PURE__ */ react_default.createElement("div", { "data-test": "experiment-left-out" }, "Left out of every test: ", describeLeftOut(result.leftOut), ".") : null, /* @__PURE__ */ react_default.createElement("div", { "data-test": "experiment-footnote" }, "α = ", result.alpha, pairs > 1 ? `, split over ${pairs} pairs of arms` : "", ". Exact mixture test", tunedUplift > 0 ? `, tuned to a ${formatPercent(tunedUplift, 1)} uplift,` : "", " replayed over", " ", plural(result.looks, "hourly look"), " from the start: a verdict once reached stays. Shaded: an uplift too small to matter."), result.warnings.map((warning) => /* @__PURE__ */ react_default.createElement("div", { key: warning, "data-test": "experiment-warning", style: { color: "rgb(200, 60, 60)" } }, warning)));
}
function ForecastLine({ forecast }) {
  const { days, arm } = forecast;
  let text2 = "No decision in sight within a year at the current traffic and rates.";
  if (days !== null && days <= 1) text2 = `About a day more to a decision (${arm} against control), if the observed rates hold.`;
  else if (days !== null) text2 = `About ${days} more days to a decision (${arm} against control) at the current traffic, if the observed rates hold.`;
  return /* @__PURE__ */ react_default.createElement("div", { "data-test": "experiment-forecast", "data-value": days === null ? "" : String(days), style: muted }, text2);
}
function Message({ width, height, text: text2 }) {
  return /* @__PURE__ */ react_default.createElement("div", { "data-test": "experiment-empty", style: { width, height, display: "flex", alignItems: "center", justifyContent: "center", opacity: 0.7 } }, text2);
}
function bodyFontSize(width, height, rows) {
  const byHeight = height / (rows * 2.6 + 12);
  const byWidth = width / 46;
  return Math.max(12, Math.min(18, byHeight, byWidth));
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
  const fontSize = bodyFontSize(width, height, result.variants.length);
  const headlineSize = Math.max(16, Math.min(34, width / 26, fontSize * 2));
  const layout = layoutFor(width);
  return /* @__PURE__ */ react_default.createElement(
    "div",
    {
      "data-test": "experiment-chart",
      "data-experiment": experiment,
      "data-unit": unit,
      "data-alpha": String(result.alpha),
      style: {
        width,
        height,
        overflow: "auto",
        fontSize,
        lineHeight: 1.35,
        boxSizing: "border-box",
        display: "flex",
        flexDirection: "column"
      }
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
      /* @__PURE__ */ react_default.createElement("div", { "data-test": "experiment-verdict-headline", style: { fontSize: headlineSize, fontWeight: 700, lineHeight: 1.2 } }, verdict.headline),
      /* @__PURE__ */ react_default.createElement("div", { "data-test": "experiment-verdict-detail" }, verdict.detail),
      result.forecast ? /* @__PURE__ */ react_default.createElement(ForecastLine, { forecast: result.forecast }) : null
    ),
    /* @__PURE__ */ react_default.createElement("div", { style: { flex: "1 1 auto", minHeight: 0 } }, /* @__PURE__ */ react_default.createElement("table", { "data-test": "experiment-variants", style: { borderCollapse: "collapse", width: "100%", height: "100%", maxHeight: "100%" } }, /* @__PURE__ */ react_default.createElement("thead", null, /* @__PURE__ */ react_default.createElement(HeaderRow, { unit, level, layout })), /* @__PURE__ */ react_default.createElement("tbody", null, result.variants.map((variant) => /* @__PURE__ */ react_default.createElement(VariantRow, { key: variant.name, variant, margin: settings.practicalEffect, layout }))))),
    /* @__PURE__ */ react_default.createElement(SideNotes, { result, tunedUplift: settings.tunedUplift })
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

// experiment-chart/src/sequential.ts
var BROAD_WEIGHT = 0.2;
function mixtureConcentration(shares, scale) {
  const smallest = Math.min(...shares);
  return 1 / (scale * scale * smallest * (1 - smallest));
}
function mixtureLogEvidence(counts, shares, scale) {
  const total = counts.reduce((sum, x) => sum + x, 0);
  if (total === 0) return 0;
  const m = mixtureConcentration(shares, scale);
  let value = logGamma(m) - logGamma(m + total);
  counts.forEach((x, k) => {
    if (x === 0) return;
    const prior = m * shares[k];
    value += logGamma(prior + x) - logGamma(prior) - x * Math.log(shares[k]);
  });
  return value;
}
function binaryLogLikelihood(first, second, q) {
  const a = first === 0 ? 0 : first * Math.log(q);
  const b = second === 0 ? 0 : second * Math.log1p(-q);
  return a + b;
}
function bisect(f, low, high) {
  let lo = low;
  let hi = high;
  const rising = f(hi) > f(lo);
  for (let i = 0; i < 200 && hi - lo > 0; i += 1) {
    const middle = (lo + hi) / 2;
    if (middle <= lo || middle >= hi) break;
    if (f(middle) > 0 === rising) hi = middle;
    else lo = middle;
  }
  return (lo + hi) / 2;
}
function tunedShares(nullShare, uplift) {
  const up = nullShare * (1 + uplift) / (nullShare * (1 + uplift) + 1 - nullShare);
  const down = nullShare / (nullShare + (1 - nullShare) * (1 + uplift));
  return [down, up];
}
function logSumExp(values) {
  const top = Math.max(...values);
  if (top === -Infinity) return -Infinity;
  return top + Math.log(values.reduce((sum, v) => sum + Math.exp(v - top), 0));
}
function pairLogMarginal(first, second, nullShare, mixing) {
  const m = mixtureConcentration([nullShare, 1 - nullShare], mixing.scale);
  const a = m * nullShare;
  const b = m * (1 - nullShare);
  const broad = logGamma(a + first) + logGamma(b + second) - logGamma(m + first + second) - logGamma(a) - logGamma(b) + logGamma(m);
  if (!(mixing.tunedUplift > 0)) return broad;
  const [down, up] = tunedShares(nullShare, mixing.tunedUplift);
  const half = Math.log((1 - BROAD_WEIGHT) / 2);
  return logSumExp([
    Math.log(BROAD_WEIGHT) + broad,
    half + binaryLogLikelihood(first, second, down),
    half + binaryLogLikelihood(first, second, up)
  ]);
}
function pairLogEvidence(first, second, nullShare, mixing) {
  if (first + second === 0) return 0;
  return pairLogMarginal(first, second, nullShare, mixing) - binaryLogLikelihood(first, second, nullShare);
}
function shareConfidenceSequence(first, second, nullShare, alpha, mixing) {
  const total = first + second;
  if (total === 0) return [0, 1];
  const floor = pairLogMarginal(first, second, nullShare, mixing) - Math.log(1 / alpha);
  const excess = (q) => binaryLogLikelihood(first, second, q) - floor;
  const mode = first / total;
  const lower = excess(0) >= 0 ? 0 : bisect(excess, 0, mode);
  const upper = excess(1) >= 0 ? 1 : bisect(excess, mode, 1);
  return [lower, upper];
}
function upliftFromShare(q, nullShare) {
  if (q >= 1) return Infinity;
  return q * (1 - nullShare) / (nullShare * (1 - q)) - 1;
}
function daysToDecision(pair, alpha, mixing, horizonDays = 365) {
  const { first, second, nullShare } = pair;
  if (first.exposed <= 0 || second.exposed <= 0) return null;
  const rates = [first.converted / first.exposed, second.converted / second.exposed];
  const threshold = Math.log(1 / alpha);
  for (let day = 0; day <= horizonDays; day += 1) {
    const converted = [
      first.converted + day * first.unitsPerDay * rates[0],
      second.converted + day * second.unitsPerDay * rates[1]
    ];
    if (pairLogEvidence(converted[0], converted[1], nullShare, mixing) >= threshold) return day;
  }
  return null;
}

// experiment-chart/src/stats.ts
var NO_VARIANT = "(no variant)";
var DEFAULT_SETTINGS = {
  control: "control",
  alpha: 0.05,
  minSamplePerVariant: 1e3,
  practicalEffect: 0.1,
  mixingScale: 0.1,
  tunedUplift: 0.1,
  intendedWeights: {},
  srmAlpha: 1e-3
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
function twoProportionZTest(treatment, control) {
  const { converted: xt, exposed: nt } = treatment;
  const { converted: xc, exposed: nc } = control;
  if (nt <= 0 || nc <= 0) return null;
  const pooled = (xt + xc) / (nt + nc);
  const variance = pooled * (1 - pooled) * (1 / nt + 1 / nc);
  if (!(variance > 0)) return null;
  const z = (xt / nt - xc / nc) / Math.sqrt(variance);
  return { z, pValue: Math.min(1, 2 * normalSf(Math.abs(z))) };
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
  return rows.map((row) => {
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
function cumulativeLooks(rows, names) {
  const times = [...new Set(rows.map((row) => row.time ?? 0))].sort((a, b) => a - b);
  const index = new Map(names.map((name, i) => [name, i]));
  const running = names.map((name) => ({ name, exposed: 0, converted: 0 }));
  const byTime = /* @__PURE__ */ new Map();
  rows.forEach((row) => {
    const time = row.time ?? 0;
    byTime.set(time, [...byTime.get(time) ?? [], row]);
  });
  return times.map((time) => {
    (byTime.get(time) ?? []).forEach((row) => {
      const i = index.get(row.name);
      if (i === void 0) return;
      running[i].exposed += row.exposed;
      running[i].converted += row.converted;
    });
    return running.map((counts) => ({ ...counts }));
  });
}
function intendedShares(names, weights) {
  const raw = names.map((name) => {
    const weight = weights[name];
    return weight !== void 0 && weight > 0 ? weight : 1;
  });
  const total = raw.reduce((sum, w) => sum + w, 0);
  return raw.map((w) => w / total);
}
function pairMixing(settings) {
  return { tunedUplift: settings.tunedUplift, scale: settings.mixingScale };
}
var PairReplay = class {
  constructor(i, j, shares, alpha, mixing) {
    this.i = i;
    this.j = j;
    this.alpha = alpha;
    this.mixing = mixing;
    this.logEvidence = 0;
    this.share = [0, 1];
    this.nullShare = shares[i] / (shares[i] + shares[j]);
  }
  add(look) {
    const first = look[this.i].converted;
    const second = look[this.j].converted;
    const evidence = pairLogEvidence(first, second, this.nullShare, this.mixing);
    this.logEvidence = Math.max(this.logEvidence, evidence);
    const interval = shareConfidenceSequence(first, second, this.nullShare, this.alpha, this.mixing);
    this.share = [Math.max(this.share[0], interval[0]), Math.min(this.share[1], interval[1])];
  }
  /** The test so far; `look` is the latest cumulative look. */
  result(look) {
    const { share, nullShare, logEvidence } = this;
    const anyConversion = look[this.i].converted + look[this.j].converted > 0;
    const significant = logEvidence >= Math.log(1 / this.alpha);
    let direction = "undecided";
    if (significant && share[0] > nullShare) direction = "better";
    if (significant && share[1] < nullShare) direction = "worse";
    return {
      logEvidence,
      pValue: anyConversion ? Math.min(1, Math.exp(-logEvidence)) : null,
      upliftInterval: anyConversion && share[0] <= share[1] ? [upliftFromShare(share[0], nullShare), upliftFromShare(share[1], nullShare)] : null,
      direction
    };
  }
};
var SampleRatioReplay = class {
  constructor(shares, settings) {
    this.shares = shares;
    this.settings = settings;
    this.logEvidence = 0;
  }
  add(look) {
    const evidence = mixtureLogEvidence(look.map((v) => v.exposed), this.shares, this.settings.mixingScale);
    this.logEvidence = Math.max(this.logEvidence, evidence);
  }
  result(look) {
    const total = look.reduce((sum, v) => sum + v.exposed, 0);
    const pValue = Math.min(1, Math.exp(-this.logEvidence));
    return {
      pValue,
      passed: pValue > this.settings.srmAlpha,
      observed: look.map((v, k) => ({
        name: v.name,
        exposed: v.exposed,
        share: total > 0 ? v.exposed / total : 0,
        intendedShare: this.shares[k]
      }))
    };
  }
};
function percent(value) {
  return `${(value * 100).toFixed(1)}%`;
}
function count(value) {
  return value.toLocaleString("en-US");
}
function describeP(p) {
  if (p === null) return "p undefined";
  return p < 1e-4 ? "p < 0.0001" : `p = ${p.toPrecision(2)}`;
}
function keepRunning(detail) {
  return { kind: "keep_running", winner: null, headline: "Keep running", detail };
}
function brokenSplit(check) {
  const observed = check.observed.map((v) => `${v.name} ${count(v.exposed)} (${percent(v.share)}, intended ${percent(v.intendedShare)})`).join(", ");
  return {
    kind: "broken_split",
    winner: null,
    headline: "Split is broken: don't trust this experiment",
    detail: `Sample ratio mismatch, always-valid ${describeP(check.pValue)}: ${observed}.`
  };
}
function winnerVerdict(arms, controlIndex, beats, settings) {
  const control = arms[controlIndex];
  const winner = arms.findIndex((_, i) => arms.every((__, j) => j === i || beats(i, j)));
  if (winner >= 0) {
    const name = arms[winner].name;
    const others = arms.length > 2 ? ` and every other arm` : "";
    return {
      kind: "winner",
      winner: name,
      headline: `Stop: ${name} wins`,
      detail: winner === controlIndex ? `Every other variant converts worse than ${name}.` : `${name} converts better than ${control.name}${others} (always-valid ${describeP(
        arms[winner].sequential?.pValue ?? null
      )}).`
    };
  }
  const better = arms.filter((v) => v.direction === "better").map((v) => v.name);
  if (better.length > 0) {
    return keepRunning(
      `${better.join(" and ")} beat${better.length === 1 ? "s" : ""} ${control.name}; which arm is best is undecided.`
    );
  }
  const treatments = arms.filter((v) => !v.isControl);
  const margin = settings.practicalEffect;
  const negligible = treatments.every((v) => {
    const interval = v.sequential?.upliftInterval;
    return interval !== null && interval !== void 0 && interval[0] > -margin && interval[1] < margin;
  });
  if (negligible) {
    return {
      kind: "no_difference",
      winner: null,
      headline: "Stop: no meaningful difference",
      detail: `Every variant is within ±${percent(margin)} of ${control.name}.`
    };
  }
  return keepRunning("No variant is decisively different yet.");
}
function verdictFor(input, settings, timeFiltered) {
  const { arms, controlIndex, sampleRatio } = input;
  if (timeFiltered) {
    return {
      kind: "time_filtered",
      winner: null,
      headline: "No verdict: a time filter cuts this experiment",
      detail: "The always-valid test needs the experiment's whole history. Remove the time range (dashboard or chart filter) to see the verdict."
    };
  }
  if (arms.length < 2) return keepRunning("Needs at least two variants with units.");
  if (controlIndex < 0) return keepRunning(`Control variant "${settings.control}" not found.`);
  if (sampleRatio && !sampleRatio.passed) return brokenSplit(sampleRatio);
  const smallest = Math.min(...arms.map((v) => v.exposed));
  if (smallest < settings.minSamplePerVariant) {
    return keepRunning(
      `Every variant needs ${count(settings.minSamplePerVariant)} units before a decision (smallest so far: ${count(smallest)}).`
    );
  }
  return winnerVerdict(arms, controlIndex, input.beats, settings);
}
function armNames(rows, control) {
  const totals = /* @__PURE__ */ new Map();
  rows.forEach(({ name, exposed, converted }) => {
    const current = totals.get(name) ?? { name, exposed: 0, converted: 0 };
    current.exposed += exposed;
    current.converted += converted;
    totals.set(name, current);
  });
  const all = [...totals.values()];
  const kept = all.filter((v) => v.name !== NO_VARIANT && v.exposed > 0);
  kept.sort((p, q) => Number(q.name === control) - Number(p.name === control) || p.name.localeCompare(q.name));
  return { arms: kept.map((v) => v.name), leftOut: all.filter((v) => !kept.includes(v)) };
}
var ExperimentReplay = class {
  constructor(names, settings) {
    this.names = names;
    this.settings = settings;
    this.pairs = /* @__PURE__ */ new Map();
    this.latest = [];
    this.looks = 0;
    const shares = intendedShares(names, settings.intendedWeights);
    this.shares = shares;
    this.comparisonAlpha = settings.alpha / Math.max(1, names.length * (names.length - 1) / 2);
    this.controlIndex = names.indexOf(settings.control);
    names.forEach(
      (_, i) => names.forEach((__, j) => {
        if (i !== j) this.pairs.set(`${i},${j}`, new PairReplay(i, j, shares, this.comparisonAlpha, pairMixing(settings)));
      })
    );
    this.sampleRatio = names.length >= 2 ? new SampleRatioReplay(shares, settings) : null;
    this.latest = names.map((name) => ({ name, exposed: 0, converted: 0 }));
  }
  add(look) {
    this.pairs.forEach((pair) => pair.add(look));
    this.sampleRatio?.add(look);
    this.latest = look;
    this.looks += 1;
  }
  pair(i, j) {
    return this.pairs.get(`${i},${j}`).result(this.latest);
  }
  /** Per-arm results at the latest look; `withReading` adds Wilson intervals and P(best). */
  arms(withReading) {
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
        probabilityBest: best[i]
      };
    });
  }
  /** The verdict at the latest look. */
  verdict(timeFiltered = false, arms = this.arms(false)) {
    const beats = (i, j) => this.pair(i, j).direction === "better";
    const sampleRatio = this.sampleRatio ? this.sampleRatio.result(this.latest) : null;
    return verdictFor({ arms, controlIndex: this.controlIndex, beats, sampleRatio }, this.settings, timeFiltered);
  }
  /** Projection for a running experiment that has seen `spanDays` of traffic. */
  forecast(spanDays) {
    const c = this.controlIndex;
    const control = this.latest[c];
    let best = { days: null, arm: null };
    this.latest.forEach((arm, i) => {
      if (i === c || this.pair(i, c).direction !== "undecided") return;
      const days = daysToDecision(
        {
          first: { ...arm, unitsPerDay: arm.exposed / spanDays },
          second: { ...control, unitsPerDay: control.exposed / spanDays },
          nullShare: this.shares[i] / (this.shares[i] + this.shares[c])
        },
        this.comparisonAlpha,
        pairMixing(this.settings)
      );
      if (days !== null && (best.days === null || days < best.days)) best = { days, arm: arm.name };
    });
    return best;
  }
  result(leftOut, warnings, timeFiltered, spanDays) {
    const arms = this.arms(true);
    const verdict = this.verdict(timeFiltered, arms);
    const running = verdict.kind === "keep_running" && this.controlIndex >= 0 && arms.length >= 2;
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
      warnings
    };
  }
};
var HOUR_MS = 36e5;
function trafficSpanDays(rows) {
  const times = rows.filter((row) => row.time !== void 0 && row.exposed > 0).map((row) => row.time);
  if (times.length === 0) return null;
  return (Math.max(...times) - Math.min(...times) + HOUR_MS) / (24 * HOUR_MS);
}
function analyzeExperiment(rows, settings, timeFiltered = false) {
  const warnings = [];
  const clean = sanitizeCounts(rows, warnings);
  const { arms, leftOut } = armNames(clean, settings.control);
  const replay = new ExperimentReplay(arms, settings);
  cumulativeLooks(clean, arms).forEach((look) => replay.add(look));
  return replay.result(leftOut, warnings, timeFiltered, trafficSpanDays(clean));
}

// experiment-chart/src/settings.ts
var FIELDS = {
  experiment: "experiment",
  controlVariant: "control_variant",
  unit: "unit",
  alpha: "alpha",
  minSamplePerVariant: "min_sample_per_variant",
  practicalEffect: "practical_effect",
  mixingScale: "mixing_scale",
  tunedUplift: "tuned_uplift",
  intendedSplit: "intended_split",
  timeColumn: "time_column",
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
  converted: "converted",
  time: "__time"
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
function parseWeights(spec) {
  const weights = {};
  spec.split(",").forEach((entry) => {
    const match = /^\s*(.+?)\s*[=:]\s*([0-9.]+)\s*$/.exec(entry);
    const weight = match ? Number(match[2]) : NaN;
    if (match && weight > 0) weights[match[1]] = weight;
  });
  return weights;
}
function readQuerySettings(formData) {
  return {
    experiment: text(formData, FIELDS.experiment, ""),
    unit: text(formData, FIELDS.unit, DEFAULT_UNIT),
    experimentColumn: text(formData, FIELDS.experimentColumn, DEFAULT_COLUMNS.experiment),
    variantColumn: text(formData, FIELDS.variantColumn, DEFAULT_COLUMNS.variant),
    unitColumn: text(formData, FIELDS.unitColumn, DEFAULT_COLUMNS.unit),
    exposedColumn: text(formData, FIELDS.exposedColumn, DEFAULT_COLUMNS.exposed),
    convertedColumn: text(formData, FIELDS.convertedColumn, DEFAULT_COLUMNS.converted),
    timeColumn: text(formData, FIELDS.timeColumn, DEFAULT_COLUMNS.time)
  };
}
function readStatSettings(formData) {
  const alpha = number(formData, FIELDS.alpha, DEFAULT_SETTINGS.alpha);
  const minSample = number(formData, FIELDS.minSamplePerVariant, DEFAULT_SETTINGS.minSamplePerVariant);
  const practical = number(formData, FIELDS.practicalEffect, DEFAULT_SETTINGS.practicalEffect);
  const scale = number(formData, FIELDS.mixingScale, DEFAULT_SETTINGS.mixingScale);
  const tuned = number(formData, FIELDS.tunedUplift, DEFAULT_SETTINGS.tunedUplift);
  return {
    control: text(formData, FIELDS.controlVariant, DEFAULT_SETTINGS.control),
    alpha: alpha > 0 && alpha < 0.5 ? alpha : DEFAULT_SETTINGS.alpha,
    minSamplePerVariant: Math.max(0, Math.round(minSample)),
    practicalEffect: practical > 0 ? practical : DEFAULT_SETTINGS.practicalEffect,
    mixingScale: scale > 0 ? scale : DEFAULT_SETTINGS.mixingScale,
    tunedUplift: tuned >= 0 ? tuned : DEFAULT_SETTINGS.tunedUplift,
    intendedWeights: parseWeights(text(formData, FIELDS.intendedSplit, "")),
    srmAlpha: DEFAULT_SETTINGS.srmAlpha
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
var ROW_LIMIT = 1e6;
function buildQuery(formData) {
  const settings = readQuerySettings(formData);
  return buildQueryContext(formData, (baseQueryObject) => [
    {
      ...baseQueryObject,
      columns: [settings.variantColumn, settings.timeColumn],
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
        description: "Chance of declaring a difference when there is none, over the whole experiment however often it is looked at; split over the pairs of arms.",
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
      name: FIELDS.intendedSplit,
      config: {
        type: "TextControl",
        label: "Intended split",
        description: 'Weights the variants were meant to get, as "control=1, B=1"; variants not listed weigh 1 (equal split by default). The sample ratio check compares the observed split with it.',
        default: "",
        renderTrigger: true
      }
    }
  ],
  [
    {
      name: FIELDS.tunedUplift,
      config: {
        type: "TextControl",
        label: "Uplift the test is tuned for",
        description: "Relative uplift (0.1 = 10%) at which the always-valid test decides fastest: 80% of its mixing prior sits at this uplift and its inverse, 20% on the broad prior below, so every other uplift is still found. 0 keeps the broad prior alone. Validity holds for any value.",
        default: DEFAULT_SETTINGS.tunedUplift,
        isFloat: true,
        renderTrigger: true
      }
    }
  ],
  [
    {
      name: FIELDS.mixingScale,
      config: {
        type: "TextControl",
        label: "Mixing scale (log-odds)",
        description: "Prior standard deviation, in log-odds, of an arm's share among converting units in the broad part of the always-valid tests (and of the sample ratio check). Validity holds for any value.",
        default: DEFAULT_SETTINGS.mixingScale,
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
  [columnControl(FIELDS.convertedColumn, "Converted column", DEFAULT_COLUMNS.converted, "Units that converted; summed.")],
  [columnControl(FIELDS.timeColumn, "First exposure column", DEFAULT_COLUMNS.time, "Hour of first exposure; each hour is one look.")]
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
function timeOf(value) {
  if (typeof value === "number") return value;
  const parsed = Date.parse(String(value ?? ""));
  return Number.isFinite(parsed) ? parsed : 0;
}
function lookCounts(rows, variantColumn, timeColumn) {
  return rows.map((row) => {
    const variant = row[variantColumn];
    return {
      name: variant === null || variant === void 0 || String(variant).trim() === "" ? NO_VARIANT : String(variant),
      time: timeOf(row[timeColumn]),
      exposed: Number(row[EXPOSED_LABEL] ?? 0) || 0,
      converted: Number(row[CONVERTED_LABEL] ?? 0) || 0
    };
  });
}
function hasTimeRange(query) {
  return Boolean(query && (query.from_dttm || query.to_dttm));
}
function transformProps(chartProps) {
  const formData = chartProps.rawFormData ?? chartProps.formData ?? {};
  const query = readQuerySettings(formData);
  const settings = readStatSettings(formData);
  const response = chartProps.queriesData?.[0];
  const rows = response?.data ?? [];
  const counts = lookCounts(rows, query.variantColumn, query.timeColumn);
  return {
    width: chartProps.width,
    height: chartProps.height,
    experiment: query.experiment,
    unit: query.unit,
    settings,
    result: analyzeExperiment(counts, settings, hasTimeRange(response)),
    hasData: counts.length > 0
  };
}

// experiment-chart/src/index.ts
var VIZ_TYPE = "divolte_experiment";
var metadata = new ChartMetadata({
  name: "Experiment (A/B test)",
  description: "Conversion per variant of an A/B experiment: uplift versus control with an exact always-valid test, tuned to decide fastest at the uplift that matters (10% by default), replayed over every hour since the start (safe to check at every refresh), a sample ratio mismatch check, a fixed-horizon z-test, the probability each variant is best, and a plain verdict that stays once reached.",
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
