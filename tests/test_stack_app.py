"""The sample site (the stack's `app` service) in real Chromium, with a recording stand-in for Divolte.

The pages are served from stack/app/site as nginx serves them (clean URLs); the collector's
divolte.js is replaced by a stand-in that records each ``divolte.signal(type, parameters)``.
The expected event types and parameters come from superset_divolte/events.py, the
definitions the dashboards count.
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

import pytest

from browser import CHROMIUM, CHROMIUM_ARGS
from conftest import REPO
from superset_divolte.events import EXPERIMENT, FUNNEL_STEPS, TECHNOLOGIES, VARIANTS

SITE = REPO / "stack" / "app" / "site"
SITE_ORIGIN = "http://localhost:8090"
COLLECTOR_TAG = "http://localhost:8290/divolte.js"
RECORDING_DIVOLTE = """
window.divolte = {
  signal: function (type, parameters) {
    var events = JSON.parse(sessionStorage.getItem('recorded') || '[]');
    events.push({type: type, parameters: parameters || {}, path: location.pathname});
    sessionStorage.setItem('recorded', JSON.stringify(events));
  },
  whenCommitted: function (callback) { setTimeout(callback, 0); }
};
"""


def _site_file(path: str) -> Path | None:
    """What nginx's ``try_files $uri $uri.html $uri/`` (index.html) answers for ``path``."""
    relative = path.lstrip("/")
    for candidate in (SITE / relative, SITE / f"{relative}.html", SITE / relative / "index.html"):
        if candidate.is_file() and SITE in candidate.resolve().parents:
            return candidate
    return None


def _serve(route: Any) -> None:
    url = route.request.url
    if url == COLLECTOR_TAG:
        route.fulfill(status=200, content_type="application/javascript", body=RECORDING_DIVOLTE)
        return
    parts = urlsplit(url)
    found = _site_file(parts.path) if f"{parts.scheme}://{parts.netloc}" == SITE_ORIGIN else None
    if found is None:
        route.fulfill(status=404, body="not found")
        return
    content_type = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
    route.fulfill(status=200, content_type=content_type, body=found.read_bytes())


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def visitor(browser: Any) -> Iterator[Any]:
    """A new visitor: a fresh browser context (own storage), every request answered locally."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    context.route("**/*", _serve)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def recorded(page: Any) -> list[dict[str, Any]]:
    return json.loads(page.evaluate("sessionStorage.getItem('recorded') || '[]'"))


def open_page(page: Any, path: str) -> None:
    page.goto(f"{SITE_ORIGIN}{path}")
    wait_for_page_view(page, path)


def test_each_logo_click_sends_one_click_with_its_technology(visitor: Any) -> None:
    open_page(visitor, "/")
    logos = visitor.locator("[data-technology]")
    shown = [logos.nth(index).get_attribute("data-technology") for index in range(logos.count())]
    assert sorted(shown) == sorted(TECHNOLOGIES)
    clicks = ["kafka", "druid", "kafka", "superset", "divolte"]
    for technology in clicks:
        visitor.click(f"[data-technology={technology}]")
    events = recorded(visitor)
    assert events == [{"type": "pageView", "parameters": {}, "path": "/"}] + [
        {"type": "click", "parameters": {"technology": technology}, "path": "/"} for technology in clicks]


def wait_for_page_view(page: Any, path: str) -> None:
    page.wait_for_function("JSON.parse(sessionStorage.getItem('recorded') || '[]')"
                           f".some(e => e.type === 'pageView' && e.path === '{path}')")


def walk_the_funnel(page: Any) -> None:
    open_page(page, "/pricing")
    with page.expect_navigation():
        page.click("#cta")
    wait_for_page_view(page, "/signup")
    with page.expect_navigation():
        page.click("#signup-form button[type=submit]")
    wait_for_page_view(page, "/welcome")
    page.click("#buy")


def test_the_funnel_sends_its_steps_in_order_with_the_visitors_variant(visitor: Any) -> None:
    walk_the_funnel(visitor)
    events = recorded(visitor)
    steps = [event["type"] for event in events if event["type"] != "pageView"]
    assert tuple(steps) == FUNNEL_STEPS
    assert [event["path"] for event in events if event["type"] == "pageView"] == ["/pricing", "/signup", "/welcome"]
    variant = visitor.evaluate("localStorage.getItem('superset-divolte.variant')")
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
    assert recorded(visitor)[-1] == {"type": "click", "path": "/",
                                     "parameters": {"technology": "druid", "experiment": EXPERIMENT,
                                                    "variant": variant}}


def test_variants_are_assigned_per_visitor_and_both_occur(browser: Any) -> None:
    seen = set()
    for _ in range(40):
        context = browser.new_context()
        context.route("**/*", _serve)
        page = context.new_page()
        open_page(page, "/pricing")
        seen.add(page.evaluate("document.body.getAttribute('data-variant')"))
        context.close()
        if seen == set(VARIANTS):
            break
    assert seen == set(VARIANTS)
