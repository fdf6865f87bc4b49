"""Read the experiment chart's numbers off a rendered page.

The component puts every number, unformatted, in a ``data-value`` attribute
(intervals in ``data-lower``/``data-upper``) next to a ``data-test`` name, so
a browser test compares exact values instead of parsing formatted text. Use
it on a whole page, a dashboard, or a locator scoped to one chart:

    reading = read_experiment_chart(page.locator("[data-test-chart-name='Checkout']"))
    assert reading.variants["B"].exposed == 20_000
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CHART_SELECTOR = '[data-test="experiment-chart"]'

# One evaluate call, so the reading is a consistent snapshot of one render.
_READ_SCRIPT = """
(chart) => {
  const num = (el, attr) => {
    if (!el) return null;
    const raw = el.getAttribute(attr);
    return raw === null || raw === '' ? null : Number(raw);
  };
  const cell = (row, test) => row.querySelector(`[data-test="${test}"]`);
  const verdict = chart.querySelector('[data-test="experiment-verdict"]');
  const rows = [...chart.querySelectorAll('[data-test="variant-row"]')].map(row => {
    const field = test => num(cell(row, test), 'data-value');
    const interval = test => {
      const el = cell(row, test);
      const lower = num(el, 'data-lower');
      const upper = num(el, 'data-upper');
      return lower === null || upper === null ? null : [lower, upper];
    };
    return {
      name: row.getAttribute('data-variant'),
      is_control: row.getAttribute('data-control') === 'true',
      direction: row.getAttribute('data-direction') || null,
      exposed: field('exposed'),
      converted: field('converted'),
      rate: field('rate'),
      rate_interval: interval('rate'),
      uplift: field('uplift'),
      uplift_interval: interval('uplift'),
      p_value: field('p-value'),
      always_valid_p: field('always-valid-p'),
      probability_best: field('probability-best'),
      text: row.innerText,
    };
  });
  return {
    experiment: chart.getAttribute('data-experiment'),
    unit: chart.getAttribute('data-unit'),
    alpha: Number(chart.getAttribute('data-alpha')),
    verdict: verdict ? verdict.getAttribute('data-verdict') : null,
    winner: verdict ? verdict.getAttribute('data-winner') || null : null,
    headline: verdict ? verdict.querySelector('[data-test="experiment-verdict-headline"]').innerText : null,
    detail: verdict ? verdict.querySelector('[data-test="experiment-verdict-detail"]').innerText : null,
    srm_p: num(chart.querySelector('[data-test="experiment-srm"]'), 'data-value'),
    left_out: (chart.querySelector('[data-test="experiment-left-out"]') || {}).innerText || null,
    rows,
  };
}
"""


@dataclass(frozen=True)
class VariantReading:
    """One variant's row, as rendered."""

    name: str
    is_control: bool
    direction: str | None
    exposed: int
    converted: int
    rate: float | None
    rate_interval: tuple[float, float] | None
    uplift: float | None
    uplift_interval: tuple[float, float] | None
    p_value: float | None
    always_valid_p: float | None
    probability_best: float
    text: str


@dataclass(frozen=True)
class ExperimentReading:
    """The whole chart: verdict and rows by variant name."""

    experiment: str
    unit: str
    alpha: float
    verdict: str
    winner: str | None
    headline: str
    detail: str
    srm_p: float | None
    """Sequential sample ratio mismatch p-value; None with fewer than two arms."""
    left_out: str | None
    """The note on arms left out of every test (no units, no variant), if any."""
    variants: dict[str, VariantReading]


def _pair(value: Any) -> tuple[float, float] | None:
    return None if value is None else (float(value[0]), float(value[1]))


def _variant(row: dict[str, Any]) -> VariantReading:
    return VariantReading(
        name=row["name"],
        is_control=row["is_control"],
        direction=row["direction"],
        exposed=int(row["exposed"]),
        converted=int(row["converted"]),
        rate=row["rate"],
        rate_interval=_pair(row["rate_interval"]),
        uplift=row["uplift"],
        uplift_interval=_pair(row["uplift_interval"]),
        p_value=row["p_value"],
        always_valid_p=row["always_valid_p"],
        probability_best=float(row["probability_best"]),
        text=row["text"],
    )


def _reading(data: dict[str, Any]) -> ExperimentReading:
    return ExperimentReading(
        experiment=data["experiment"],
        unit=data["unit"],
        alpha=data["alpha"],
        verdict=data["verdict"],
        winner=data["winner"],
        headline=data["headline"],
        detail=data["detail"],
        srm_p=data["srm_p"],
        left_out=data["left_out"],
        variants={row["name"]: _variant(row) for row in data["rows"]},
    )


def read_experiment_chart(scope: Any, timeout_ms: float = 60_000) -> ExperimentReading:
    """Wait for an experiment chart inside ``scope`` (Page, Frame or Locator) and read it."""
    chart = scope.locator(CHART_SELECTOR).first
    chart.wait_for(state="visible", timeout=timeout_ms)
    return _reading(chart.evaluate(_READ_SCRIPT))


def read_experiment_charts(scope: Any, expected: int, timeout_ms: float = 90_000) -> list[ExperimentReading]:
    """Wait until ``expected`` experiment charts are rendered in ``scope`` and read them all.

    On a dashboard, tell them apart by ``experiment`` and ``unit``.
    """
    charts = scope.locator(CHART_SELECTOR)
    charts.nth(expected - 1).wait_for(state="visible", timeout=timeout_ms)
    return [_reading(charts.nth(i).evaluate(_READ_SCRIPT)) for i in range(charts.count())]
