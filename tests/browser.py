"""Real Chromium (Debian's package) driven by Playwright, for checking what a person sees."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any, Iterator

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CHART_HOLDER = "[data-test='dashboard-component-chart-holder']"
CHART_ERROR_TEXT = ("Unexpected error", "Error:", "Data error", "No results were returned")


@contextlib.contextmanager
def browser_page(viewport: tuple[int, int] = (1600, 1000)) -> Iterator[Any]:
    """A fresh headless Chromium page, closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            yield page
        finally:
            browser.close()


LOGIN_ATTEMPTS = 3


def log_in(page: Any, base_url: str, username: str, password: str) -> None:
    """Log in through Superset's login form, as a person does.

    Superset's login page posts its event log while the form is sent; when that anonymous request's
    answer lands last, its session cookie replaces the new one and the browser ends up on the form
    again (seen in CI). A person logs in once more; so does this, up to ``LOGIN_ATTEMPTS`` times.
    """
    for _ in range(LOGIN_ATTEMPTS):
        page.goto(f"{base_url}/login/")
        # The React login form names its inputs by id.
        page.locator("input[name=username], #username").first.fill(username)
        page.locator("input[name=password], #password").first.fill(password)
        with page.expect_navigation(timeout=60_000):
            page.locator("button[type=submit], [data-test=login-button]").first.click()
        if "/login" not in page.url:
            return
    raise AssertionError(f"still on the login page after {LOGIN_ATTEMPTS} attempts: {page.url}")


def rendered_charts(page: Any, expected: int, timeout_s: float = 90) -> list[str]:
    """Wait until ``expected`` charts hold a drawing (canvas or svg or table) and return their texts.

    Fails with what is on screen when a chart shows an error or the deadline passes.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        holders = page.locator(CHART_HOLDER)
        drawn = sum(1 for index in range(holders.count())
                    if holders.nth(index).locator("canvas, svg, table, .header-line, .big-number").count())
        texts = [holders.nth(index).inner_text() for index in range(holders.count())]
        errors = [text for text in texts if any(marker in text for marker in CHART_ERROR_TEXT)]
        if errors:
            raise AssertionError(f"a chart shows an error: {errors}")
        if holders.count() >= expected and drawn >= expected and not page.locator(".loading").count():
            return texts
        if time.monotonic() > deadline:
            raise AssertionError(f"{drawn}/{expected} charts drawn after {timeout_s}s; on screen: {texts}")
        page.wait_for_timeout(500)


def record_chart_data(page: Any) -> list[dict[str, Any]]:
    """Collect every chart data result the page receives (what the charts draw), as it arrives."""
    results: list[dict[str, Any]] = []

    def keep(response: Any) -> None:
        if "/api/v1/chart/data" in response.url and response.status == 200:
            results.extend(response.json().get("result", []))

    page.on("response", keep)
    return results


def screenshot(page: Any, artifacts: Path, name: str) -> Path:
    """Keep a full-page screenshot as a test artifact."""
    path = artifacts / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
