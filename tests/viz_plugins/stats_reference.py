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

Variant = dict[str, Any]

Row = tuple[str, int, int]
"""(variant, exposed, converted) of one look; a case is a list of looks (increments)."""

# (name, looks, control, alpha, mixing scale, intended weights)
CASES: list[tuple[str, list[list[Row]], str, float, float, dict[str, float]]] = [
    ("typical two arms", [[("control", 10_000, 500), ("B", 10_000, 560)]], "control", 0.05, 0.1, {}),
    ("clear winner", [[("control", 20_000, 2_000), ("B", 20_000, 2_300)]], "control", 0.05, 0.1, {}),
    (
        "three arms, one clear",
        [[("control", 8_000, 400), ("B", 8_100, 430), ("C", 7_900, 600)]],
        "control",
        0.05,
        0.1,
        {},
    ),
    (
        "three arms, both beat control, best undecided",
        [[("control", 30_000, 1_500), ("B", 30_000, 1_950), ("C", 30_000, 2_000)]],
        "control",
        0.05,
        0.1,
        {},
    ),
    (
        "four arms, alpha 0.01",
        [[("control", 3_000, 300), ("B", 3_000, 310), ("C", 2_950, 280), ("D", 3_050, 350)]],
        "control",
        0.01,
        0.2,
        {},
    ),
    ("zero conversions in control", [[("control", 500, 0), ("B", 500, 3)]], "control", 0.05, 0.1, {}),
    ("zero conversions in treatment", [[("control", 800, 6), ("B", 800, 0)]], "control", 0.05, 0.1, {}),
    ("zero conversions anywhere", [[("control", 2_000, 0), ("B", 2_000, 0)]], "control", 0.05, 0.1, {}),
    ("one variant", [[("control", 1_000, 50)]], "control", 0.05, 0.1, {}),
    ("tiny samples", [[("control", 5, 1), ("B", 3, 2)]], "control", 0.05, 0.1, {}),
    ("everyone converts", [[("control", 1_500, 1_500), ("B", 1_500, 1_500)]], "control", 0.05, 0.1, {}),
    ("an arm without units", [[("control", 5_000, 250), ("B", 5_000, 330), ("C", 0, 0)]], "control", 0.05, 0.1, {}),
    (
        "a stray arm without a variant",
        [[("control", 5_000, 250), ("B", 5_000, 330), ("(no variant)", 3, 0)]],
        "control",
        0.05,
        0.1,
        {},
    ),
    (
        "unbalanced arms, intended 50:1",
        [[("control", 100_000, 3_000), ("B", 2_000, 80)]],
        "control",
        0.05,
        0.1,
        {"control": 50, "B": 1},
    ),
    ("52/48 at 20,000 units", [[("control", 10_400, 520), ("B", 9_600, 480)]], "control", 0.05, 0.1, {}),
    (
        "huge samples",
        [[("control", 5_000_000, 250_000), ("B", 5_000_000, 251_000)]],
        "control",
        0.05,
        0.1,
        {},
    ),
    (
        "significant early, then back towards zero: the verdict stays",
        [
            [("control", 4_000, 200), ("B", 4_000, 300)],
            [("control", 4_000, 260), ("B", 4_000, 160)],
            [("control", 4_000, 200), ("B", 4_000, 200)],
        ],
        "control",
        0.05,
        0.1,
        {},
    ),
    (
        "hourly looks, no effect",
        [[("control", 1_000 + 37 * h, 50 + h), ("B", 1_010 + 37 * h, 52 + h % 5)] for h in range(12)],
        "control",
        0.05,
        0.1,
        {},
    ),
]

TUNED_UPLIFT = 0.1
"""The chart's default: the relative uplift the pair test's point masses sit at."""
BROAD_WEIGHT = 0.2
"""Prior mass of the beta component of the pair test (the rest: half at each tuned share)."""

# Cases of the pair test's other settings: (case, tuned uplift); 0 leaves the beta prior alone.
UPLIFT_CASES: list[tuple[tuple[str, list[list[Row]], str, float, float, dict[str, float]], float]] = [
    (("typical two arms, beta prior only", [[("control", 10_000, 500), ("B", 10_000, 560)]], "control", 0.05, 0.1,
      {}), 0.0),
    (("clear winner, tuned to 25%", [[("control", 20_000, 2_000), ("B", 20_000, 2_300)]], "control", 0.05, 0.1,
      {}), 0.25),
    (("unbalanced 9:1, tuned to 5%", [[("control", 45_000, 2_250), ("B", 5_000, 290)]], "control", 0.05, 0.15,
      {"control": 9}), 0.05),
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


def z_test_p(t: Variant, c: Variant) -> float | None:
    """Pearson chi-square without continuity correction equals the pooled z-test squared; None without variation."""
    pooled = (t["converted"] + c["converted"]) / (t["exposed"] + c["exposed"])
    if pooled in (0.0, 1.0):
        return None
    table = [
        [t["converted"], t["exposed"] - t["converted"]],
        [c["converted"], c["exposed"] - c["converted"]],
    ]
    return float(stats.chi2_contingency(table, correction=False).pvalue)


def concentration(shares: list[float], scale: float) -> float:
    """Dirichlet concentration: the smallest share's log-odds has prior sd about `scale`."""
    smallest = min(shares)
    return 1 / (scale**2 * smallest * (1 - smallest))


def log_evidence(counts: list[int], shares: list[float], scale: float) -> float:
    """log of the Dirichlet-multinomial over the multinomial probability of the counts (SciPy's pmfs)."""
    total = sum(counts)
    if total == 0:
        return 0.0
    m = concentration(shares, scale)
    alphas = [m * share for share in shares]
    return float(
        stats.dirichlet_multinomial.logpmf(counts, alphas, total) - stats.multinomial.logpmf(counts, total, shares)
    )


def tuned_share(null: float, ratio: float) -> float:
    """Share of the first arm among converters when its rate is `ratio` times the second's (Bayes' rule)."""
    return float(null * ratio / (null * ratio + (1 - null)))


def log_pair_mixture(first: int, second: int, null: float, scale: float, uplift: float) -> float:
    """log pmf of `first` of `first + second` under the pair test's mixing prior, with SciPy's pmfs.

    BROAD_WEIGHT on a beta-binomial around the null share, the rest split between two binomials
    at the shares where the first arm's rate is (1 + uplift) and 1 / (1 + uplift) times the second's.
    """
    total = first + second
    m = concentration([null, 1 - null], scale)
    broad = float(stats.betabinom.logpmf(first, total, m * null, m * (1 - null)))
    if uplift <= 0:
        return broad
    ratios = (1 + uplift, 1 / (1 + uplift))
    points = [float(stats.binom.logpmf(first, total, tuned_share(null, ratio))) for ratio in ratios]
    weights = [BROAD_WEIGHT, (1 - BROAD_WEIGHT) / 2, (1 - BROAD_WEIGHT) / 2]
    return float(special.logsumexp([broad, *points], b=weights))


def pair_log_evidence(first: int, second: int, null: float, scale: float, uplift: float) -> float:
    """log of the pair test's mixture over the binomial pmf at the null share; 0 without converters."""
    if first + second == 0:
        return 0.0
    return log_pair_mixture(first, second, null, scale, uplift) - float(stats.binom.logpmf(first, first + second, null))


def share_interval(first: int, second: int, null: float, alpha: float, scale: float, uplift: float) -> list[float]:
    """Null shares q where the pair mixture over Bin(q) stays below 1/alpha, by Brent's method."""
    total = first + second
    if total == 0:
        return [0.0, 1.0]
    log_mixture = log_pair_mixture(first, second, null, scale, uplift)

    def excess(q: float) -> float:
        return float(stats.binom.logpmf(first, total, q)) - log_mixture - math.log(alpha)

    mode = first / total
    tight = {"xtol": 1e-300, "rtol": 1e-15, "maxiter": 500}
    lower = 0.0 if excess(0.0) >= 0 else optimize.brentq(excess, 1e-300, mode, **tight)
    upper = 1.0 if excess(1.0) >= 0 else optimize.brentq(excess, mode, float(np.nextafter(1.0, 0.0)), **tight)
    return [lower, upper]


def pair(looks: list[dict[str, Variant]], first: str, second: str, shares: dict[str, float],
         alpha: float, scale: float, uplift: float) -> dict[str, Any]:
    """Running maximum of the evidence and running intersection of the intervals over the looks."""
    null = shares[first] / (shares[first] + shares[second])
    evidence, lower, upper = 0.0, 0.0, 1.0
    for look in looks:
        x, y = look[first]["converted"], look[second]["converted"]
        evidence = max(evidence, pair_log_evidence(x, y, null, scale, uplift))
        low, high = share_interval(x, y, null, alpha, scale, uplift)
        lower, upper = max(lower, low), min(upper, high)
    converted = looks[-1][first]["converted"] + looks[-1][second]["converted"]
    significant = evidence >= math.log(1 / alpha)
    direction = "undecided"
    if significant and lower > null:
        direction = "better"
    if significant and upper < null:
        direction = "worse"

    def uplift(q: float) -> float | None:
        return None if q >= 1 else q * (1 - null) / (null * (1 - q)) - 1

    return {
        "p": min(1.0, math.exp(-evidence)) if converted else None,
        "uplift_interval": [uplift(lower), uplift(upper)] if converted else None,
        "direction": direction,
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


def _cumulative(looks: list[list[Row]], arms: list[str]) -> list[dict[str, Variant]]:
    running = {arm: {"exposed": 0, "converted": 0} for arm in arms}
    out = []
    for look in looks:
        for name, exposed, converted in look:
            if name in running:
                running[name]["exposed"] += exposed
                running[name]["converted"] += converted
        out.append({arm: dict(counts) for arm, counts in running.items()})
    return out


def _verdict(arms: list[str], control: str, tests: dict[tuple[str, str], dict[str, Any]], srm_p: float | None,
             smallest: int, entries: dict[str, Any]) -> tuple[str, str | None]:
    """The chart's rule, restated: SRM first, then a winner only if it beats every other arm."""
    if len(arms) < 2:
        return "keep_running", None
    if srm_p is not None and srm_p <= 0.001:
        return "broken_split", None
    if smallest < 1000:
        return "keep_running", None
    for arm in arms:
        if all(tests[(arm, other)]["direction"] == "better" for other in arms if other != arm):
            return "winner", arm
    treatments = [arm for arm in arms if arm != control]
    if any(tests[(arm, control)]["direction"] == "better" for arm in treatments):
        return "keep_running", None
    if all(entries[arm]["uplift_interval"] is not None and entries[arm]["uplift_interval"][0] > -0.1
           and entries[arm]["uplift_interval"][1] is not None and entries[arm]["uplift_interval"][1] < 0.1
           for arm in treatments):
        return "no_difference", None
    return "keep_running", None


def case_reference(name: str, looks: list[list[Row]], control: str, alpha: float, scale: float,
                   weights: dict[str, float], tuned_uplift: float = TUNED_UPLIFT) -> dict[str, Any]:
    """Expected values of one case."""
    totals: dict[str, list[int]] = {}
    for look in looks:
        for arm, exposed, converted in look:
            totals.setdefault(arm, [0, 0])
            totals[arm][0] += exposed
            totals[arm][1] += converted
    arms = [arm for arm, (exposed, _) in totals.items() if exposed > 0 and arm != "(no variant)"]
    left_out = sorted(set(totals) - set(arms))
    history = _cumulative(looks, arms)
    raw = {arm: weights.get(arm, 1.0) for arm in arms}
    shares = {arm: raw[arm] / sum(raw.values()) for arm in arms}
    pairs = len(arms) * (len(arms) - 1) // 2
    comparison_alpha = alpha / max(1, pairs)
    tests = {(a, b): pair(history, a, b, shares, comparison_alpha, scale, tuned_uplift)
             for a in arms for b in arms if a != b}
    final = history[-1]
    best = probability_best([final[arm] for arm in arms])
    srm_p = None
    if len(arms) >= 2:
        evidence = max(log_evidence([look[arm]["exposed"] for arm in arms], [shares[arm] for arm in arms], scale)
                       for look in history)
        srm_p = min(1.0, math.exp(-evidence))
    expected: dict[str, Any] = {}
    for arm, p_best in zip(arms, best):
        v, c = final[arm], final[control]
        entry: dict[str, Any] = {
            "rate": v["converted"] / v["exposed"],
            "rate_interval": wilson(v["converted"], v["exposed"], comparison_alpha),
            "probability_best": p_best,
        }
        if arm != control:
            test = tests[(arm, control)]
            entry.update(
                uplift=v["converted"] * c["exposed"] / (c["converted"] * v["exposed"]) - 1 if c["converted"] else None,
                z_test_p=z_test_p(v, c),
                always_valid_p=test["p"],
                uplift_interval=test["uplift_interval"],
                direction=test["direction"],
            )
        expected[arm] = entry
    verdict, winner = _verdict(arms, control, tests, srm_p, min(final[arm]["exposed"] for arm in arms), expected)
    return {
        "name": name,
        "looks": [[{"name": n, "exposed": e, "converted": x, "time": i} for n, e, x in look]
                  for i, look in enumerate(looks)],
        "control": control,
        "alpha": alpha,
        "mixing_scale": scale,
        "tuned_uplift": tuned_uplift,
        "weights": weights,
        "comparison_alpha": comparison_alpha,
        "arms": arms,
        "left_out": left_out,
        "srm_p": srm_p,
        "verdict": verdict,
        "winner": winner,
        "expected": expected,
    }


def reference_table() -> dict[str, Any]:
    """The whole table: special functions and experiment cases."""
    return {
        "normal_cdf": [[x, float(special.ndtr(x))] for x in NORMAL_CDF_POINTS],
        "normal_quantile": [[p, float(special.ndtri(p))] for p in NORMAL_QUANTILE_POINTS],
        "beta_cdf": [[x, a, b, float(special.betainc(a, b, x))] for x, a, b in BETA_CDF_POINTS],
        "cases": [case_reference(*case) for case in CASES]
        + [case_reference(*case, tuned_uplift=uplift) for case, uplift in UPLIFT_CASES],
    }


def write_reference(path: Path) -> None:
    """Write the table as JSON."""
    path.write_text(json.dumps(reference_table(), indent=1), encoding="utf-8")


if __name__ == "__main__":
    write_reference(Path(sys.argv[1]))
