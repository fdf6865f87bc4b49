"""Reference values for the experiment chart's statistics, computed with SciPy.

Each quantity is computed here independently of the TypeScript code: SciPy's
own distributions, its contingency-table tests, and adaptive quadrature
where the TypeScript uses closed forms or fixed quadrature. The table is
written as JSON and checked by viz-plugins/experiment-chart/test/reference.test.ts.

Run ``python stats_reference.py OUT.json`` to write it by hand; the pytest
test ``test_stats_js.py`` writes it to a temporary file and runs the node tests.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
from scipy import integrate, optimize, special, stats
from scipy.stats.contingency import relative_risk

Variant = dict[str, Any]

# (name, variants as (name, exposed, converted), control, alpha, tau)
CASES: list[tuple[str, list[tuple[str, int, int]], str, float, float]] = [
    ("typical two arms", [("control", 10_000, 500), ("B", 10_000, 560)], "control", 0.05, 0.01),
    ("clear winner", [("control", 20_000, 2_000), ("B", 20_000, 2_300)], "control", 0.05, 0.01),
    (
        "three arms, Bonferroni",
        [("control", 8_000, 400), ("B", 8_100, 430), ("C", 7_900, 470)],
        "control",
        0.05,
        0.01,
    ),
    (
        "four arms, alpha 0.01",
        [("control", 3_000, 300), ("B", 3_000, 310), ("C", 2_950, 280), ("D", 3_050, 350)],
        "control",
        0.01,
        0.02,
    ),
    ("zero conversions in control", [("control", 500, 0), ("B", 500, 3)], "control", 0.05, 0.01),
    ("zero conversions in treatment", [("control", 800, 6), ("B", 800, 0)], "control", 0.05, 0.01),
    ("zero conversions anywhere", [("control", 200, 0), ("B", 200, 0)], "control", 0.05, 0.01),
    ("one variant", [("control", 1_000, 50)], "control", 0.05, 0.01),
    ("tiny samples", [("control", 5, 1), ("B", 3, 2)], "control", 0.05, 0.01),
    ("single units", [("control", 1, 0), ("B", 1, 1)], "control", 0.05, 0.01),
    ("everyone converts", [("control", 50, 50), ("B", 50, 48)], "control", 0.05, 0.01),
    ("no data in one arm", [("control", 0, 0), ("B", 10, 1)], "control", 0.05, 0.01),
    ("unbalanced arms", [("control", 100_000, 3_000), ("B", 2_000, 80)], "control", 0.05, 0.01),
    (
        "huge samples",
        [("control", 50_000_000, 2_500_000), ("B", 50_000_000, 2_510_000)],
        "control",
        0.05,
        0.001,
    ),
    (
        "huge and tiny together",
        [("control", 20_000_000, 200_000), ("B", 40, 1), ("C", 0, 0)],
        "control",
        0.1,
        0.01,
    ),
]

NORMAL_CDF_POINTS = [-37.5, -20.0, -10.0, -6.0, -5.7, -3.0, -1.0, -0.67, 0.0, 0.5, 0.7, 1.96, 5.0, 8.0]
NORMAL_QUANTILE_POINTS = [1e-300, 1e-20, 1e-8, 0.001, 0.01, 0.02425, 0.025, 0.3, 0.5, 0.8, 0.975, 0.995, 1 - 1e-12]
BETA_CDF_POINTS = [
    (0.3, 2.0, 5.0),
    (0.01, 1.0, 101.0),
    (0.5, 30.0, 40.0),
    (0.999, 0.5, 0.5),
    (0.1, 100_001.0, 900_001.0),
    (0.1003, 1_000_001.0, 9_000_001.0),
    (0.0499, 2_500_001.0, 47_500_001.0),
    (0.9, 9.0, 1.0),
]


def wilson(converted: int, exposed: int, alpha: float) -> list[float] | None:
    """SciPy's Wilson score interval; undefined without units."""
    if exposed == 0:
        return None
    ci = stats.binomtest(converted, exposed).proportion_ci(1 - alpha, method="wilson")
    return [float(ci.low), float(ci.high)]


def uplift_interval(t: Variant, c: Variant, alpha: float) -> list[float] | None:
    """Katz log interval of the relative risk, minus one; None where SciPy says nan/inf."""
    if t["exposed"] == 0 or c["exposed"] == 0:
        return None
    rr = relative_risk(t["converted"], t["exposed"], c["converted"], c["exposed"])
    ci = rr.confidence_interval(1 - alpha)
    if not (math.isfinite(ci.low) and math.isfinite(ci.high)):
        return None
    return [float(ci.low) - 1, float(ci.high) - 1]


def z_test_p(t: Variant, c: Variant) -> float:
    """Pearson chi-square without continuity correction equals the pooled z-test squared."""
    table = [
        [t["converted"], t["exposed"] - t["converted"]],
        [c["converted"], c["exposed"] - c["converted"]],
    ]
    if t["exposed"] == 0 or c["exposed"] == 0:
        return 1.0
    pooled = (t["converted"] + c["converted"]) / (t["exposed"] + c["exposed"])
    if pooled in (0.0, 1.0):
        return 1.0  # no variation: no evidence, by the chart's definition
    return float(stats.chi2_contingency(table, correction=False).pvalue)


def _log_mixture_ratio(estimate: float, null: float, variance: float, tau: float) -> float:
    """log of the integral over theta ~ N(0, tau^2) of N(d; null + theta, V) / N(d; null, V).

    Adaptive quadrature on the definition, not the closed form the chart uses.
    """
    sd = math.sqrt(variance)
    shift = estimate - null

    def log_integrand(theta: float) -> float:
        return (
            stats.norm.logpdf(shift, loc=theta, scale=sd)
            - stats.norm.logpdf(shift, loc=0.0, scale=sd)
            + stats.norm.logpdf(theta, loc=0.0, scale=tau)
        )

    # Integrate exp(log_integrand - peak) around the posterior mode for stability.
    post_var = 1 / (1 / variance + 1 / tau**2)
    mode = post_var * shift / variance
    peak = log_integrand(mode)
    width = 40 * math.sqrt(post_var)
    value, _ = integrate.quad(
        lambda th: math.exp(log_integrand(th) - peak),
        mode - width,
        mode + width,
        points=[mode],
        epsabs=0,
        epsrel=1e-13,
        limit=400,
    )
    return peak + math.log(value)


def sequential(t: Variant, c: Variant, alpha: float, tau: float) -> dict[str, Any] | None:
    """mSPRT log ratio at difference 0, and the confidence sequence by root finding."""
    if t["exposed"] == 0 or c["exposed"] == 0:
        return None
    pt = t["converted"] / t["exposed"]
    pc = c["converted"] / c["exposed"]
    variance = pt * (1 - pt) / t["exposed"] + pc * (1 - pc) / c["exposed"]
    if variance <= 0:
        return None
    estimate = pt - pc
    threshold = math.log(1 / alpha)

    def excess(null: float) -> float:
        return _log_mixture_ratio(estimate, null, variance, tau) - threshold

    step = math.sqrt(variance) * 100 + tau
    lower = optimize.brentq(excess, estimate - step, estimate, xtol=1e-15, rtol=1e-14)
    upper = optimize.brentq(excess, estimate, estimate + step, xtol=1e-15, rtol=1e-14)
    return {
        "log_likelihood_ratio": _log_mixture_ratio(estimate, 0.0, variance, tau),
        "interval": [max(-1.0, lower), min(1.0, upper)],
    }


def probability_best(variants: list[Variant]) -> list[float]:
    """P(each is best) under Beta(1, 1) priors, by SciPy's adaptive quadrature."""
    posteriors = [stats.beta(1 + v["converted"], 1 + v["exposed"] - v["converted"]) for v in variants]
    if len(posteriors) == 1:
        return [1.0]
    results = []
    for i, own in enumerate(posteriors):
        others = [p for j, p in enumerate(posteriors) if j != i]
        low, high = own.ppf(1e-14), own.isf(1e-14)
        breaks = sorted(
            {float(x) for p in posteriors for x in p.ppf([1e-6, 0.01, 0.25, 0.5, 0.75, 0.99, 1 - 1e-6]) if low < x < high}
        )

        def integrand(x: float, own: Any = own, others: list[Any] = others) -> float:
            return float(own.pdf(x) * np.prod([p.cdf(x) for p in others]))

        value, _ = integrate.quad(integrand, low, high, points=breaks or None, epsabs=1e-13, epsrel=1e-11, limit=1000)
        results.append(value)
    return results


def case_reference(name: str, rows: list[tuple[str, int, int]], control: str, alpha: float, tau: float) -> dict[str, Any]:
    """Expected per-variant values of one case."""
    variants = [{"name": n, "exposed": e, "converted": x} for n, e, x in rows]
    comparison_alpha = alpha / max(1, len(variants) - 1)
    ctrl = next(v for v in variants if v["name"] == control)
    best = probability_best(variants)
    expected = {}
    for v, p_best in zip(variants, best):
        entry: dict[str, Any] = {
            "rate": v["converted"] / v["exposed"] if v["exposed"] else None,
            "rate_interval": wilson(v["converted"], v["exposed"], comparison_alpha),
            "probability_best": p_best,
        }
        if v is not ctrl:
            entry["uplift_interval"] = uplift_interval(v, ctrl, comparison_alpha)
            entry["z_test_p"] = z_test_p(v, ctrl)
            entry["sequential"] = sequential(v, ctrl, comparison_alpha, tau)
        expected[v["name"]] = entry
    return {
        "name": name,
        "variants": variants,
        "control": control,
        "alpha": alpha,
        "tau": tau,
        "comparison_alpha": comparison_alpha,
        "expected": expected,
    }


def reference_table() -> dict[str, Any]:
    """The whole table: special functions and experiment cases."""
    return {
        "normal_cdf": [[x, float(special.ndtr(x))] for x in NORMAL_CDF_POINTS],
        "normal_quantile": [[p, float(special.ndtri(p))] for p in NORMAL_QUANTILE_POINTS],
        "beta_cdf": [[x, a, b, float(special.betainc(a, b, x))] for x, a, b in BETA_CDF_POINTS],
        "cases": [case_reference(*case) for case in CASES],
    }


def write_reference(path: Path) -> None:
    """Write the table as JSON."""
    path.write_text(json.dumps(reference_table(), indent=1), encoding="utf-8")


if __name__ == "__main__":
    write_reference(Path(sys.argv[1]))
