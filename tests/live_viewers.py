"""Viewers of a live dashboard under load, a trickle of new events, and what every answer must have been.

``Trickle`` produces one live session (a page view and a few logo clicks, as the demo's trickle) every few
seconds, noting when each batch was handed to Kafka and when Kafka confirmed it. ``watch`` runs simulated
viewers, each a thread with its own login, that refresh a dashboard every ``every`` seconds the way its
periodic refresh in "fetch" mode does: every chart's saved query context POSTed to ``/api/v1/chart/data``
without ``force``, the charts of one refresh at once (as a browser sends them).

``LiveTruth`` says whether an answer is right. Kafka keeps the trickle in order on one partition and Druid
ingests in that order, so Druid always holds the fixture's events plus a prefix of the trickle; a cached answer
is at most one cache timeout old. An answer asked at ``t`` and received at ``u`` is correct when it equals, for
some prefix ``k``, the ground truth (computed in Python from the events) of the fixture plus the first ``k``
trickle events, where ``k`` covers at least every event Kafka confirmed before ``t - cache - allowance``
(freshness: caching hides nothing older) and at most the events sent before ``u``. Charts with a window relative
to now are checked against the window Superset applied, read from the SQL it ran: a cached answer reports the
current request's ``from_dttm``, not the one its query used.
"""

from __future__ import annotations

import bisect
import json
import math
import random
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import sqlglot

from superset_divolte.events import live_events
from superset_divolte.kafka_sink import produce_records
from superset_divolte.superset_client import SupersetClient

HOUR_MS = 3_600_000
_TIME_PARSE = re.compile(r"TIME_PARSE\('([0-9T:\-]+)'\)")


@dataclass(frozen=True)
class Sent:
    """One trickle event, when it was handed to the producer and when Kafka confirmed its batch (epoch s)."""

    event: dict[str, Any]
    sent_at: float
    confirmed_at: float


class Trickle:
    """One live session every ``every`` seconds into a topic, until stopped."""

    def __init__(self, bootstrap: str, topic: str, every: float, clicks: int, seed: int) -> None:
        self.bootstrap, self.topic, self.every, self.clicks = bootstrap, topic, every, clicks
        self.rng = random.Random(seed)
        self.sent: list[Sent] = []
        self.stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="trickle")

    def __enter__(self) -> "Trickle":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self._thread.join(timeout=60)
        assert not self._thread.is_alive(), "the trickle did not stop"

    def _run(self) -> None:
        while not self.stop.is_set():
            began = time.time()
            batch = live_events(self.rng, datetime.now(timezone.utc), self.clicks)
            assert produce_records(self.bootstrap, self.topic, batch) == len(batch)
            confirmed = time.time()
            self.sent += [Sent(event, began, confirmed) for event in batch]
            self.stop.wait(max(0.0, began + self.every - time.time()))


@dataclass(frozen=True)
class Answer:
    """One chart-data response a viewer received (epoch s), or the error it got."""

    viewer: int
    refresh: int
    stem: str
    asked: float
    answered: float
    result: dict[str, Any] | None
    error: str | None


def watch(base_url: str, username: str, password: str, contexts: dict[str, dict[str, Any]], viewers: int,
          every: float, duration: float) -> list[Answer]:
    """``viewers`` threads refreshing every chart of ``contexts`` every ``every`` s for ``duration`` s.

    Viewer ``i`` opens the dashboard ``i * every / viewers`` s after the first, as people arrive at
    different moments; a refresh that overruns its slot is followed at once by the next.
    """
    answers: list[Answer] = []
    lock = threading.Lock()
    start = time.time() + 2.0

    def viewer(index: int) -> None:
        with SupersetClient(base_url, username, password) as client, \
                ThreadPoolExecutor(len(contexts), thread_name_prefix=f"viewer{index}") as pool:
            client.login()
            opened = start + index * every / viewers
            refresh = 0
            while opened + refresh * every < start + duration:
                time.sleep(max(0.0, opened + refresh * every - time.time()))
                got = list(pool.map(lambda stem: _ask(client, index, refresh, stem, contexts[stem]), contexts))
                with lock:
                    answers.extend(got)
                refresh += 1

    threads = [threading.Thread(target=viewer, args=(index,), name=f"viewer{index}") for index in range(viewers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + 300)
    assert not any(thread.is_alive() for thread in threads), "a viewer did not finish"
    return sorted(answers, key=lambda answer: answer.asked)


def _ask(client: SupersetClient, viewer: int, refresh: int, stem: str, context: dict[str, Any]) -> Answer:
    """One chart's data as the dashboard's periodic refresh asks it: the saved context, not forced."""
    asked = time.time()
    try:
        body = client.request("POST", "/api/v1/chart/data", json={**context, "force": False}).json()
        result, error = body["result"][0], None
    except Exception as failure:  # noqa: BLE001 - every failure is an answer the test reports
        result, error = None, f"{type(failure).__name__}: {failure}"[:500]
    return Answer(viewer, refresh, stem, asked, time.time(), result, error)


def applied_window(result: dict[str, Any]) -> tuple[int | None, int | None]:
    """The [from, to) window in epoch ms that the SQL Superset ran applied (None, None without one)."""
    bounds = [_epoch_ms(value) for value in _TIME_PARSE.findall(result.get("query") or "")]
    if not bounds:
        return None, None
    assert len(bounds) == 2, f"expected one time window in {result.get('query')}"
    return bounds[0], bounds[1]


def _epoch_ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).replace(tzinfo=timezone.utc).timestamp() * 1000)


@dataclass(frozen=True)
class Verdict:
    """What the ground truth says of one answer."""

    answer: Answer
    prefix: int | None
    """The longest trickle prefix the answer's numbers are exact for; None when they are wrong."""
    why: str = ""


class LiveTruth:
    """The ground truth of the live dashboard's charts: the fixture's events plus a prefix of the trickle.

    An answer Superset computed (``is_cached`` false) ran its query between being asked and answering, so it
    must hold at least every event Kafka confirmed ``allowance_seconds`` before it was asked and at most those
    sent before it answered. An answer from the cache must have been queried (Superset's ``queried_dttm``,
    whole seconds) no more than ``cache_seconds`` before it was asked, and must be the very numbers of the
    computed answer that filled that cache entry.
    """

    def __init__(self, baseline: list[dict[str, Any]], trickle: list[Sent], cache_seconds: float,
                 allowance_seconds: float) -> None:
        self.trickle = trickle
        self.cache_seconds, self.allowance = cache_seconds, allowance_seconds
        self._times = sorted(event["timestamp"] for event in baseline)
        self._clicks = sorted((event["timestamp"], event["technology"]) for event in baseline
                              if event["eventType"] == "click" and event["technology"])
        self._newest = max(self._times)
        self._clicks_by_technology = Counter(technology for _, technology in self._clicks)
        self._confirmed = [sent.confirmed_at for sent in trickle]
        self._sent = [sent.sent_at for sent in trickle]
        self.checks: dict[str, Callable[[dict[str, Any], int, float, float], bool]] = {
            "technology_popularity": self._popularity, "technology_clicks_over_time": self._over_time,
            "technology_newest_event": self._newest_event, "technology_newest_event_age": self._age,
            "traffic_events_last_15_minutes": self._last_minutes}

    def judge(self, answers: list[Answer]) -> list[Verdict]:
        """A verdict for every answer that has a result."""
        computed = [answer for answer in answers if answer.result and not answer.result["is_cached"]]
        verdicts = {id(answer): self._computed(answer) for answer in computed}
        filled: dict[tuple[str, str], list[Answer]] = {}
        for answer in computed:
            filled.setdefault((answer.result["cache_key"], answer.result["queried_dttm"]), []).append(answer)
        first = min(answer.asked for answer in answers)
        for answer in answers:
            if answer.result and answer.result["is_cached"]:
                origins = filled.get((answer.result["cache_key"], answer.result["queried_dttm"]), [])
                verdicts[id(answer)] = self._cached(answer, origins, verdicts, first)
        return [verdicts[id(answer)] for answer in answers if answer.result]

    def prefixes(self, asked: float, answered: float) -> range:
        """The trickle prefixes a query asked and answered at these moments may hold."""
        # Batches are sent one after another: confirmation times grow with the prefix.
        return range(bisect.bisect_right(self._confirmed, asked - self.allowance),
                     bisect.bisect_right(self._sent, answered) + 1)

    def _computed(self, answer: Answer, ran_from: float | None = None, ran_to: float | None = None) -> Verdict:
        """Checked against the prefixes of a query that ran in [ran_from, ran_to] (default: asked, answered)."""
        ran_from, ran_to = ran_from or answer.asked, ran_to or answer.answered
        candidates = self.prefixes(ran_from, ran_to)
        check = self.checks[answer.stem]
        prefix = next((k for k in reversed(candidates) if check(answer.result, k, ran_from, ran_to)), None)
        return Verdict(answer, prefix, "" if prefix is not None else
                       f"equals no prefix in [{candidates.start}, {candidates.stop - 1}]; any prefix: "
                       f"{self._any_prefix(answer)}")

    def _cached(self, answer: Answer, origins: list[Answer], verdicts: dict[int, Verdict], first: float) -> Verdict:
        queried = datetime.fromisoformat(answer.result["queried_dttm"]).timestamp()
        if queried + 1 < answer.asked - self.cache_seconds:
            return Verdict(answer, None, f"served a cache entry queried {answer.asked - queried:.1f} s before")
        same = [verdicts[id(origin)] for origin in origins if origin.result["data"] == answer.result["data"]]
        if same:
            return Verdict(answer, same[0].prefix, same[0].why)
        if not origins and queried + 1 < first:
            # Filled before the viewers started (an earlier test's request): it ran in the second it names.
            return self._computed(answer, queried - self.allowance, queried + 1)
        return Verdict(answer, None, f"differs from the {len(origins)} computed answers of its cache entry")

    def _any_prefix(self, answer: Answer) -> int | None:
        check = self.checks[answer.stem]
        return next((k for k in range(len(self.trickle) + 1) if check(answer.result, k, 0.0, float("inf"))), None)

    def _events(self, k: int) -> list[dict[str, Any]]:
        return [sent.event for sent in self.trickle[:k]]

    def _newest_of(self, k: int) -> int:
        return max([self._newest, *(event["timestamp"] for event in self._events(k))])

    def _popularity(self, result: dict[str, Any], k: int, *_: float) -> bool:
        clicks = Counter(self._clicks_by_technology)
        clicks.update(e["technology"] for e in self._events(k) if e["eventType"] == "click" and e["technology"])
        return {row["technology"]: row["clicks"] for row in result["data"]} == dict(clicks)

    def _over_time(self, result: dict[str, Any], k: int, *_: float) -> bool:
        start, end = applied_window(result)
        clicks = Counter(self._baseline_hourly(start, end))
        clicks.update((e["timestamp"] // HOUR_MS * HOUR_MS, e["technology"]) for e in self._events(k)
                      if e["eventType"] == "click" and e["technology"] and start <= e["timestamp"] < end)
        return {(int(row["__time"]), row["technology"]): row["clicks"] for row in result["data"]} == dict(clicks)

    def _newest_event(self, result: dict[str, Any], k: int, *_: float) -> bool:
        [row] = result["data"]
        return _millis(row["newest_event"]) == self._newest_of(k)

    def _age(self, result: dict[str, Any], k: int, asked: float, answered: float) -> bool:
        # Whole seconds on Druid: the query ran in [newest + age, newest + age + 1 s), between asked and answered.
        [row] = result["data"]
        ran = self._newest_of(k) + row["newest_event_age_ms"]
        return asked * 1000 <= ran + 1000 and ran <= answered * 1000

    def _last_minutes(self, result: dict[str, Any], k: int, *_: float) -> bool:
        start, end = applied_window(result)
        count = bisect.bisect_left(self._times, end) - bisect.bisect_left(self._times, start)
        count += sum(1 for e in self._events(k) if start <= e["timestamp"] < end)
        return result["data"] == [{"events": count}]

    @lru_cache(maxsize=512)
    def _baseline_hourly(self, start: int, end: int) -> Counter:
        low, high = bisect.bisect_left(self._clicks, (start, "")), bisect.bisect_left(self._clicks, (end, ""))
        return Counter((moment // HOUR_MS * HOUR_MS, technology) for moment, technology in self._clicks[low:high])


def _millis(value: int | str) -> int:
    """Epoch ms of a chart's time value: a number, or Druid's ISO text when the chart formats it."""
    if isinstance(value, str):
        return round(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)
    return int(value)


def druid_sql_queries(folder: Path, since: float, until: float) -> list[str]:
    """The SQL texts the Druid broker's request log holds for queries received in [since, until] (epoch s)."""
    queries = []
    for log in sorted(folder.glob("*.log")):
        for line in log.read_text(errors="replace").splitlines():
            fields = line.split("\t")
            # A SQL line: time, remote address, "", statistics, {"query": …, "context": …}.
            if len(fields) == 5 and fields[2] == "":
                moment = datetime.fromisoformat(fields[0].replace("Z", "+00:00")).timestamp()
                if since <= moment <= until:
                    queries.append(json.loads(fields[4])["query"])
    return queries


def sql_template(sql: str) -> str:
    """SQL in sqlglot's form with its time literals masked: Superset reports a query as it built it, then runs
    it as sqlglot renders it (``NOT x IS NULL`` for ``x IS NOT NULL``), with the window of that moment."""
    return _TIME_PARSE.sub("TIME_PARSE(?)", sqlglot.parse_one(sql, dialect="druid").sql(dialect="druid"))


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (share in 0..1) of values."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]
