"""The sample site (the stack's `app` service) in real Chromium, with a recording stand-in for Divolte.

The pages are served from stack/app/site as nginx serves them (clean URLs), the collector's divolte.js
replaced by a stand-in that records each ``divolte.signal(type, parameters)`` (tests/sample_site.py). The
expected event types and parameters come from superset_divolte/events.py, the definitions the dashboards
count. tests/pipeline/test_end_to_end.py sends such recorded events through Kafka and Druid to the charts.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

import pytest

from sample_site import (SITE_ORIGIN, chromium, new_visitor, open_page, recorded, sent, variant_of,
                         wait_for_page_view, walk_the_funnel)
from superset_divolte.collector import collected_event
from superset_divolte.events import EXPERIMENT, FUNNEL_STEPS, TECHNOLOGIES, VARIANTS
from superset_divolte.kafka_sink import decode_event, encode_event, load_schema


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def visitor(browser: Any) -> Iterator[Any]:
    """A new visitor: a fresh browser context (own storage), every request answered locally."""
    with new_visitor(browser) as page:
        yield page


def test_each_logo_click_sends_one_click_with_its_technology(visitor: Any) -> None:
    open_page(visitor, "/")
    logos = visitor.locator("[data-technology]")
    shown = [logos.nth(index).get_attribute("data-technology") for index in range(logos.count())]
    assert sorted(shown) == sorted(TECHNOLOGIES)
    clicks = ["kafka", "druid", "kafka", "superset", "divolte"]
    for technology in clicks:
        visitor.click(f"[data-technology={technology}]")
    events = sent(visitor)
    assert events == [{"type": "pageView", "parameters": {}, "path": "/"}] + [
        {"type": "click", "parameters": {"technology": technology}, "path": "/"} for technology in clicks]


def test_the_funnel_sends_its_steps_in_order_with_the_visitors_variant(visitor: Any) -> None:
    walk_the_funnel(visitor)
    events = sent(visitor)
    steps = [event["type"] for event in events if event["type"] != "pageView"]
    assert tuple(steps) == FUNNEL_STEPS
    assert [event["path"] for event in events if event["type"] == "pageView"] == ["/pricing", "/signup", "/welcome"]
    variant = variant_of(visitor)
    assert variant in VARIANTS
    enrolled = {"experiment": EXPERIMENT, "variant": variant}
    # The first pricing pageView comes before the visitor is enrolled; every later event carries the variant.
    assert events[0] == {"type": "pageView", "parameters": {}, "path": "/pricing"}
    assert all(event["parameters"] == enrolled for event in events[1:])
    assert visitor.locator("#thanks").is_visible()


def test_a_visitor_keeps_the_variant_and_sees_its_call_to_action(visitor: Any) -> None:
    open_page(visitor, "/pricing")
    variant = visitor.evaluate("document.body.getAttribute('data-variant')")
    assert variant in VARIANTS
    cta = visitor.locator("#cta").inner_text()
    other = next(name for name in VARIANTS if name != variant)
    assert visitor.locator(f"#cta .{variant}-only").is_visible()
    assert not visitor.locator(f"#cta .{other}-only").is_visible()
    for _ in range(3):
        open_page(visitor, "/pricing")
        assert visitor.locator("#cta").inner_text() == cta
    open_page(visitor, "/")
    visitor.click("[data-technology=druid]")
    assert sent(visitor)[-1] == {"type": "click", "path": "/",
                                 "parameters": {"technology": "druid", "experiment": EXPERIMENT, "variant": variant}}


def test_variants_are_assigned_per_visitor_and_both_occur(browser: Any) -> None:
    seen = set()
    for _ in range(40):
        with new_visitor(browser) as page:
            open_page(page, "/pricing")
            seen.add(page.evaluate("document.body.getAttribute('data-variant')"))
        if seen == set(VARIANTS):
            break
    assert seen == set(VARIANTS)


DIVOLTE_ID = re.compile(r"0:[0-9a-z]+:[A-Za-z0-9_-]{32}")


def test_recorded_signals_become_the_records_divolte_writes(visitor: Any) -> None:
    """One visitor's signals, mapped as the collector maps them, are schema records of one party and session."""
    visitor.goto(f"{SITE_ORIGIN}/?utm_source=newsletter&utm_medium=email&utm_campaign=november-digest")
    wait_for_page_view(visitor, "/")
    visitor.click("[data-technology=kafka]")
    walk_the_funnel(visitor, "signupStart")
    records = [collected_event(signal, signal["clientTimestamp"], "127.0.0.1") for signal in recorded(visitor)]
    schema = load_schema()
    assert [decode_event(encode_event(record, schema), schema) for record in records] == records
    assert [(r["eventType"], r["locationPath"], r["technology"], r["variant"] is not None) for r in records] == [
        ("pageView", "/", None, False), ("click", "/", "kafka", False), ("pageView", "/pricing", None, False),
        ("pricingView", "/pricing", None, True), ("signupStart", "/pricing", None, True),
        ("pageView", "/signup", None, True)]
    assert [r["firstInSession"] for r in records] == [True] + [False] * 5
    assert len({r["partyId"] for r in records}) == len({r["sessionId"] for r in records}) == 1
    assert all(DIVOLTE_ID.fullmatch(r[key]) for r in records for key in ("partyId", "sessionId", "pageViewId"))
    page_views = [r["pageViewId"] for r in records if r["eventType"] == "pageView"]
    assert len(set(page_views)) == 3 and [r["pageViewId"] for r in records] == [page_views[i] for i in
                                                                                (0, 0, 1, 1, 1, 2)]
    # divolte.js numbers a page's events in hex after its page view id: unique, and tied to the page.
    assert [r["eventId"] for r in records] == [r["pageViewId"] + counter for r, counter in
                                               zip(records, ("0", "1", "0", "1", "2", "0"))]
    assert [(r["utmSource"], r["utmMedium"], r["utmCampaign"]) for r in records[:2]] == [
        ("newsletter", "email", "november-digest")] * 2 and records[2]["utmSource"] is None
    # /pricing was typed in; /signup was reached by a click on it.
    assert [(r["referer"], r["refererHost"]) for r in records[2::3]] == [
        (None, None), (f"{SITE_ORIGIN}/pricing", "localhost")]
    assert all(r["experiment"] == EXPERIMENT for r in records[3:])
    assert all(r["userAgentString"] and "Chrome" in r["userAgentString"] for r in records)
