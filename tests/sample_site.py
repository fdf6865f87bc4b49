"""The sample site (the stack's `app` service) in real Chromium, with a recording stand-in for Divolte.

The pages are served from stack/app/site as nginx serves them (clean URLs); the collector's divolte.js is
replaced by a stand-in that records each ``divolte.signal(type, parameters)`` with what divolte.js sends
beside it: Divolte-shaped party (kept by the browser), session (kept by the tab) and page view ids, the
location, the referrer, the client time, viewport and screen sizes and the user agent.
"""

from __future__ import annotations

import contextlib
import json
import mimetypes
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

from browser import CHROMIUM, CHROMIUM_ARGS
from conftest import REPO

SITE = REPO / "stack" / "app" / "site"
SITE_ORIGIN = "http://localhost:8090"
COLLECTOR_TAG = "http://localhost:8290/divolte.js"
RECORDING_DIVOLTE = """
(function () {
  // Divolte's identifiers: 0:<base-36 time>:<24 random bytes in URL-safe base64>.
  function makeId() {
    var bytes = new Uint8Array(24);
    crypto.getRandomValues(bytes);
    var random = btoa(String.fromCharCode.apply(null, bytes)).replace(/\\+/g, '-').replace(/\\//g, '_');
    return '0:' + Date.now().toString(36) + ':' + random;
  }
  function kept(storage, key) {
    var value = storage.getItem(key);
    if (!value) { value = makeId(); storage.setItem(key, value); }
    return value;
  }
  var newSession = !sessionStorage.getItem('divolte.session');
  var partyId = kept(localStorage, 'divolte.party');
  var sessionId = kept(sessionStorage, 'divolte.session');
  var pageViewId = makeId();
  var eventsOnPage = 0;
  window.divolte = {
    partyId: partyId,
    sessionId: sessionId,
    pageViewId: pageViewId,
    signal: function (type, parameters) {
      var events = JSON.parse(sessionStorage.getItem('recorded') || '[]');
      events.push({type: type, parameters: parameters || {}, path: location.pathname,
                   location: location.href, referrer: document.referrer || null, clientTimestamp: Date.now(),
                   partyId: partyId, sessionId: sessionId, pageViewId: pageViewId, firstInSession: newSession,
                   eventId: pageViewId + (eventsOnPage++).toString(16),
                   viewportPixelWidth: window.innerWidth, viewportPixelHeight: window.innerHeight,
                   screenPixelWidth: screen.width, screenPixelHeight: screen.height,
                   userAgentString: navigator.userAgent});
      newSession = false;
      sessionStorage.setItem('recorded', JSON.stringify(events));
    },
    whenCommitted: function (callback) { setTimeout(callback, 0); }
  };
})();
"""
SIGNAL_KEYS = ("type", "parameters", "path")
"""What a page asks Divolte to send (the rest of a recorded signal is the page's context)."""


def _site_file(path: str) -> Path | None:
    """What nginx's ``try_files $uri $uri.html $uri/`` (index.html) answers for ``path``."""
    relative = path.lstrip("/")
    for candidate in (SITE / relative, SITE / f"{relative}.html", SITE / relative / "index.html"):
        if candidate.is_file() and SITE in candidate.resolve().parents:
            return candidate
    return None


def serve(route: Any) -> None:
    """Answer a page's request locally: the stand-in for divolte.js, the site's files, else 404."""
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


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def new_visitor(browser: Any) -> Iterator[Any]:
    """A new visitor: a fresh browser context (own storage, so a new party), every request answered locally."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    context.route("**/*", serve)
    try:
        yield context.new_page()
    finally:
        context.close()


def recorded(page: Any) -> list[dict[str, Any]]:
    """Every signal of this visitor's tab so far, with its context."""
    return json.loads(page.evaluate("sessionStorage.getItem('recorded') || '[]'"))


def sent(page: Any) -> list[dict[str, Any]]:
    """The signals of this visitor's tab: event type, parameters and the page's path."""
    return [{key: signal[key] for key in SIGNAL_KEYS} for signal in recorded(page)]


def wait_for_page_view(page: Any, path: str) -> None:
    """Until the page at ``path`` has signalled its pageView."""
    page.wait_for_function("JSON.parse(sessionStorage.getItem('recorded') || '[]')"
                           f".some(e => e.type === 'pageView' && e.path === '{path}')")


def open_page(page: Any, path: str) -> None:
    """Go to ``path`` of the site and wait for its pageView."""
    page.goto(f"{SITE_ORIGIN}{path}")
    wait_for_page_view(page, path)


def walk_the_funnel(page: Any, depth: str = "purchase") -> None:
    """From the pricing page down the signup funnel, as a person clicks, up to the step ``depth``
    (one of ``events.FUNNEL_STEPS``)."""
    open_page(page, "/pricing")
    if depth == "pricingView":
        return
    with page.expect_navigation():
        page.click("#cta")
    wait_for_page_view(page, "/signup")
    if depth == "signupStart":
        return
    with page.expect_navigation():
        page.click("#signup-form button[type=submit]")
    wait_for_page_view(page, "/welcome")
    if depth == "signupComplete":
        return
    page.click("#buy")
    page.wait_for_function("JSON.parse(sessionStorage.getItem('recorded') || '[]')"
                           ".some(e => e.type === 'purchase')")


def variant_of(page: Any) -> str | None:
    """The A/B variant this visitor was given (None before the pricing page)."""
    return page.evaluate("localStorage.getItem('superset-divolte.variant')")
