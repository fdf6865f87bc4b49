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

// cohort-triangle/src/format.ts
var COUNT = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
function formatCount(value) {
  return COUNT.format(value);
}
function formatShare(share) {
  return share === null ? "–" : `${(share * 100).toFixed(1)}%`;
}
function formatCohort(epochMillis) {
  const day = new Date(epochMillis);
  return `${day.getUTCDate()} ${MONTHS[day.getUTCMonth()]} ${day.getUTCFullYear()}`;
}
function isoDay(epochMillis) {
  return new Date(epochMillis).toISOString().slice(0, 10);
}

// cohort-triangle/src/shade.ts
var HUE = [32, 111, 184];
function shadeOpacity(share, maxShare) {
  if (share === null || maxShare <= 0) return 0.06;
  return 0.06 + 0.84 * Math.min(1, share / maxShare);
}
function cellBackground(share, maxShare) {
  return `rgba(${HUE.join(", ")}, ${shadeOpacity(share, maxShare).toFixed(3)})`;
}
function cellText(share, maxShare) {
  return shadeOpacity(share, maxShare) > 0.55 ? "#ffffff" : void 0;
}

// cohort-triangle/src/CohortTriangle.tsx
var cell = {
  padding: "4px 8px",
  textAlign: "right",
  whiteSpace: "nowrap",
  borderBottom: "1px solid rgba(128, 128, 128, 0.2)",
  fontVariantNumeric: "tabular-nums"
};
var header = { ...cell, fontWeight: 600, verticalAlign: "bottom" };
var muted = { opacity: 0.65, fontSize: "0.85em" };
function CohortRow({ cohort, weeks, maxShare, show }) {
  const empty = Array.from({ length: weeks + 1 - cohort.cells.length }, (_, index) => cohort.cells.length + index);
  return /* @__PURE__ */ react_default.createElement("tr", { "data-test": "cohort-row", "data-cohort": isoDay(cohort.start), "data-size": String(cohort.size) }, /* @__PURE__ */ react_default.createElement("th", { style: { ...cell, textAlign: "left", fontWeight: 600 } }, formatCohort(cohort.start)), /* @__PURE__ */ react_default.createElement("td", { style: { ...cell, fontWeight: 600 }, "data-test": "cohort-size", "data-value": String(cohort.size) }, formatCount(cohort.size)), cohort.cells.map((entry) => {
    const shaded = entry.week > 0;
    const title = `${formatCount(entry.visitors)} of ${formatCount(cohort.size)} visitors (${formatShare(entry.share)}) came back in week ${entry.week}`;
    return /* @__PURE__ */ react_default.createElement(
      "td",
      {
        key: entry.week,
        "data-test": "cohort-cell",
        "data-week": String(entry.week),
        "data-visitors": String(entry.visitors),
        "data-share": entry.share === null ? "" : String(entry.share),
        title,
        style: {
          ...cell,
          background: shaded ? cellBackground(entry.share, maxShare) : void 0,
          color: shaded ? cellText(entry.share, maxShare) : void 0
        }
      },
      show === "visitors" ? formatCount(entry.visitors) : formatShare(entry.share)
    );
  }), empty.map((week) => /* @__PURE__ */ react_default.createElement("td", { key: week, style: cell, "aria-hidden": "true" })));
}
function CohortTriangle(props) {
  const { width, height, cohorts, weeks, maxShare, show } = props;
  if (!cohorts.length) {
    return /* @__PURE__ */ react_default.createElement("div", { "data-test": "cohort-triangle-empty", style: { width, height, display: "flex", alignItems: "center", justifyContent: "center", opacity: 0.7 } }, "No visitors in the cohorts of this time range.");
  }
  const offsets = Array.from({ length: weeks + 1 }, (_, week) => week);
  return /* @__PURE__ */ react_default.createElement("div", { "data-test": "cohort-triangle", "data-show": show, style: { width, height, overflow: "auto", fontSize: 13, lineHeight: 1.4, boxSizing: "border-box" } }, /* @__PURE__ */ react_default.createElement("table", { style: { borderCollapse: "collapse", width: "100%" } }, /* @__PURE__ */ react_default.createElement("thead", null, /* @__PURE__ */ react_default.createElement("tr", null, /* @__PURE__ */ react_default.createElement("th", { style: { ...header, textAlign: "left" } }, "Cohort (week of first visit)"), /* @__PURE__ */ react_default.createElement("th", { style: header }, "Visitors"), offsets.map((week) => /* @__PURE__ */ react_default.createElement("th", { key: week, style: header }, "Week ", week)))), /* @__PURE__ */ react_default.createElement("tbody", null, cohorts.map((cohort) => /* @__PURE__ */ react_default.createElement(CohortRow, { key: cohort.start, cohort, weeks, maxShare, show })))), /* @__PURE__ */ react_default.createElement("div", { "data-test": "cohort-triangle-footnote", style: { ...muted, marginTop: 6 } }, "Week k: visitors with any event in the k-th week (Monday to Sunday, UTC) after the week of their first visit, as a share of the cohort. Darker is more; the darkest cell is the largest share after week 0."));
}

// cohort-triangle/src/settings.ts
var FIELDS = {
  cohortColumn: "cohort_column",
  offsetColumn: "offset_column",
  visitorsColumn: "visitors_column",
  cohortSizeColumn: "cohort_size_column",
  show: "show"
};
var DEFAULT_COLUMNS = {
  cohort: "cohort_week",
  offset: "weeks_since_first_visit",
  visitors: "visitors",
  cohortSize: "cohort_visitors"
};
var RETURNING_LABEL = "returning_visitors";
var COHORT_SIZE_LABEL = "cohort_size";
var SHOW_CHOICES = ["share", "visitors"];
function text(formData, key, fallback) {
  const value = formData[key];
  const trimmed = value === void 0 || value === null ? "" : String(value).trim();
  return trimmed || fallback;
}
function readQuerySettings(formData) {
  return {
    cohortColumn: text(formData, FIELDS.cohortColumn, DEFAULT_COLUMNS.cohort),
    offsetColumn: text(formData, FIELDS.offsetColumn, DEFAULT_COLUMNS.offset),
    visitorsColumn: text(formData, FIELDS.visitorsColumn, DEFAULT_COLUMNS.visitors),
    cohortSizeColumn: text(formData, FIELDS.cohortSizeColumn, DEFAULT_COLUMNS.cohortSize)
  };
}
function readShow(formData) {
  const value = text(formData, FIELDS.show, "share");
  return SHOW_CHOICES.includes(value) ? value : "share";
}

// cohort-triangle/src/query.ts
function aggregateOf(column, aggregate, label) {
  return {
    expressionType: "SIMPLE",
    column: { column_name: column },
    aggregate,
    label,
    hasCustomLabel: true,
    optionName: `metric_${label}`
  };
}
function cohortMetrics(settings) {
  return [
    aggregateOf(settings.visitorsColumn, "SUM", RETURNING_LABEL),
    aggregateOf(settings.cohortSizeColumn, "MAX", COHORT_SIZE_LABEL)
  ];
}
function cohortColumns(settings) {
  return [settings.cohortColumn, settings.offsetColumn];
}

// cohort-triangle/src/buildQuery.ts
var ROW_LIMIT = 1e4;
function buildQuery(formData) {
  const settings = readQuerySettings(formData);
  return buildQueryContext(formData, (baseQueryObject) => [
    {
      ...baseQueryObject,
      columns: cohortColumns(settings),
      metrics: cohortMetrics(settings),
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

// cohort-triangle/src/controlPanel.ts
var displayRows = [
  [
    {
      name: FIELDS.show,
      config: {
        type: "SelectControl",
        label: "Cells show",
        description: "The share of the cohort that came back, or the number of visitors.",
        default: "share",
        clearable: false,
        renderTrigger: true,
        choices: [
          ["share", "Share of the cohort"],
          ["visitors", "Returning visitors"]
        ]
      }
    }
  ],
  ["adhoc_filters"]
];
var columnRows = [
  [columnControl(FIELDS.cohortColumn, "Cohort column", DEFAULT_COLUMNS.cohort, "Start of the cohort (week of the first visit).")],
  [columnControl(FIELDS.offsetColumn, "Week offset column", DEFAULT_COLUMNS.offset, "Whole weeks since the first visit.")],
  [columnControl(FIELDS.visitorsColumn, "Returning visitors column", DEFAULT_COLUMNS.visitors, "Visitors active in that week; summed.")],
  [columnControl(FIELDS.cohortSizeColumn, "Cohort size column", DEFAULT_COLUMNS.cohortSize, "The cohort's visitors; its maximum is taken.")]
];
var controlPanel = {
  controlPanelSections: [
    { label: "Cohorts", expanded: true, controlSetRows: displayRows },
    { label: "Dataset columns", expanded: false, controlSetRows: columnRows }
  ]
};
var controlPanel_default = controlPanel;

// cohort-triangle/src/thumbnail.ts
var CELLS = [
  [0.9, 0.5, 0.4, 0.35],
  [0.9, 0.45, 0.3],
  [0.9, 0.55],
  [0.9]
];
var rects = CELLS.flatMap(
  (row, r) => row.map(
    (opacity, c) => `<rect x="${12 + c * 36}" y="${12 + r * 25}" width="32" height="21" fill="rgb(32,111,184)" fill-opacity="${opacity}"/>`
  )
).join("");
var SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 160 120"><rect width="160" height="120" fill="#f7f7f7"/>${rects}</svg>`;
var THUMBNAIL = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(SVG)}`;

// cohort-triangle/src/transformProps.ts
function toMillis(value) {
  if (typeof value === "number") return value;
  const parsed = Date.parse(String(value).replace(" ", "T") + (/[zZ]|[+-]\d\d:?\d\d$/.test(String(value)) ? "" : "Z"));
  return Number.isFinite(parsed) ? parsed : NaN;
}
function cohortsOf(rows, cohortColumn, offsetColumn) {
  const byStart = /* @__PURE__ */ new Map();
  rows.forEach((row) => {
    const start = toMillis(row[cohortColumn]);
    const week = Number(row[offsetColumn]);
    if (!Number.isFinite(start) || !Number.isInteger(week) || week < 0) return;
    const entry = byStart.get(start) ?? { size: 0, visitors: /* @__PURE__ */ new Map() };
    entry.size = Math.max(entry.size, Number(row[COHORT_SIZE_LABEL] ?? 0) || 0);
    entry.visitors.set(week, (entry.visitors.get(week) ?? 0) + (Number(row[RETURNING_LABEL] ?? 0) || 0));
    byStart.set(start, entry);
  });
  return [...byStart.entries()].sort(([a], [b]) => a - b).map(([start, { size, visitors }]) => {
    const last = Math.max(...visitors.keys());
    const cells = [];
    for (let week = 0; week <= last; week += 1) {
      const count = visitors.get(week) ?? 0;
      cells.push({ week, visitors: count, share: size > 0 ? count / size : null });
    }
    return { start, size, cells };
  });
}
function transformProps(chartProps) {
  const formData = chartProps.rawFormData ?? chartProps.formData ?? {};
  const settings = readQuerySettings(formData);
  const rows = chartProps.queriesData?.[0]?.data ?? [];
  const cohorts = cohortsOf(rows, settings.cohortColumn, settings.offsetColumn);
  const later = cohorts.flatMap((cohort) => cohort.cells.filter((cell2) => cell2.week > 0).map((cell2) => cell2.share ?? 0));
  return {
    width: chartProps.width,
    height: chartProps.height,
    show: readShow(formData),
    cohorts,
    weeks: Math.max(0, ...cohorts.map((cohort) => cohort.cells.length - 1)),
    maxShare: Math.max(0, ...later)
  };
}

// cohort-triangle/src/index.ts
var VIZ_TYPE = "divolte_cohort_triangle";
var metadata = new ChartMetadata({
  name: "Cohort triangle (retention)",
  description: "Retention cohorts: one row per cohort (week of the first visit) with its size, one column per week since the first visit, each cell shaded by the share of the cohort that came back that week.",
  category: "Table",
  tags: ["Retention", "Cohort", "Table", "Heatmap"],
  thumbnail: THUMBNAIL,
  useLegacyApi: false
});
var CohortTrianglePlugin = class extends ChartPlugin {
  constructor() {
    super({ metadata, buildQuery, transformProps, controlPanel: controlPanel_default, Chart: CohortTriangle });
  }
};
new CohortTrianglePlugin().configure({ key: VIZ_TYPE }).register();
export {
  VIZ_TYPE,
  CohortTrianglePlugin as default
};
