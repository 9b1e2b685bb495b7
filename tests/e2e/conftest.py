"""Browser tests against the real stack: gunicorn + whitenoise + a throw-away SQLite database.

The ``server`` fixture (``bench.stack.Stack``, shared with the web benchmark) builds a
private ``XIETONG_VAR_DIR`` under pytest's temporary directory, collects the static files
into it exactly as ``make static`` does (hashed, compressed, served by whitenoise),
migrates, loads the demo data and starts gunicorn on a free port of 127.0.0.1. Nothing of
the developer's ``var/`` is touched or needed; only the front-end assets that ``make
assets`` copies into ``xietong/static/vendor/`` must exist.

The ``page`` fixture records every request the browser makes. ``assert_same_origin``
fails a test that made the page load anything not served by the platform itself.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bench.stack import PROJECT_DIR, Stack, StackError
from xietong.core.demo import DEMO_PASSWORD

ARTIFACTS = PROJECT_DIR / "test-artifacts"
CHROMIUM = os.environ.get("XIETONG_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[Stack]:
    """gunicorn (2 sync workers) serving the demo data from a throw-away var directory."""
    stack = Stack(tmp_path_factory.mktemp("xietong-var"), workers=2)
    try:
        stack.prepare()
        stack.start()
    except StackError as exc:
        stack.stop()
        pytest.fail(str(exc))
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make e2e` installs Debian's chromium.")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Traffic:
    """Every URL the browser asked for, and what the console complained about."""

    origin: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def foreign(self) -> list[str]:
        # data: URIs are inline (Tabler's SVG icons); they are not fetched from anywhere.
        return [
            url
            for url in self.requests
            if not (url.startswith(self.origin + "/") or url.startswith("data:"))
        ]


def assert_same_origin(traffic: Traffic) -> None:
    """Fail unless every request went to the platform itself."""
    assert traffic.requests, "no request was recorded: the recorder is not wired"
    assert traffic.foreign() == [], f"requests to outside {traffic.origin}: {traffic.foreign()}"


def assert_no_console_errors(traffic: Traffic) -> None:
    """CSP violations, failed scripts and 404 assets all show up as console errors."""
    assert traffic.console_errors == []


@pytest.fixture
def traffic(server) -> Traffic:
    return Traffic(origin=server.origin)


@pytest.fixture
def new_page(browser, server, traffic):
    """Open a page in a fresh Chinese-speaking browser context of the given viewport."""
    contexts = []

    def _open(viewport: dict[str, int] = DESKTOP):
        context = browser.new_context(
            viewport=viewport,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            device_scale_factor=1,
            is_mobile=viewport["width"] < 600,
            has_touch=viewport["width"] < 600,
        )
        context.set_default_timeout(10_000)
        context.on("request", lambda request: traffic.requests.append(request.url))
        # Record foreign requests, but never let them leave the machine.
        context.route(
            lambda url: not url.startswith(server.origin + "/"),
            lambda route: route.abort(),
        )
        page = context.new_page()
        page.on(
            "console",
            lambda msg: traffic.console_errors.append(msg.text) if msg.type == "error" else None,
        )
        page.on("pageerror", lambda exc: traffic.console_errors.append(str(exc)))
        contexts.append(context)
        return page

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page(DESKTOP)


def sign_in(page, server: Stack, username: str) -> None:
    page.goto(server.url("/accounts/login/"))
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(server.url("/"))


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
