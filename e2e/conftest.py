"""Browser tests: the app served by pytest-django's live_server, driven by Playwright with Debian's Chromium.

Playwright never downloads a browser here: we launch the system Chromium at /usr/bin/chromium
(override with MADOGUCHI_CHROMIUM). See e2e/README.md.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

# Playwright's sync API runs an event loop in this thread; Django would then refuse ORM calls made by the
# tests and factories ("You cannot call this from an async context"). The calls really are synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
# Serve on the IPv4 loopback explicitly: "localhost" may resolve to ::1 first in Chromium.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

import pytest
from django.core.cache import cache
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from madoguchi.core.models import Municipality
from madoguchi.core.tenancy import forget_host_memo
from madoguchi.notices.models import Importance, Notice
from tests.factories import make_department, make_municipality

from . import helpers

CHROMIUM = os.environ.get("MADOGUCHI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORTS = {
    # A common phone (iPhone 12–15 class) for resident pages; a laptop screen for the staff back office.
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1366, "height": 900}},
}
TIMEOUT_MS = 10_000

expect.set_options(timeout=TIMEOUT_MS)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def pytest_sessionstart(session: pytest.Session) -> None:
    # Screenshots of failures are from this run only.
    for stale in helpers.ARTIFACTS.glob("FAILED-*.png"):
        stale.unlink()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if helpers.SESSION_CHECKS:
        helpers.write_axe_report(helpers.ARTIFACTS / "axe-report.json")


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    checks = helpers.SESSION_CHECKS
    if not checks:
        return
    blocking = sum(len(c.blocking) for c in checks)
    other: dict[str, int] = {}
    for c in checks:
        for v in c.violations:
            if v["impact"] not in helpers.BLOCKING_IMPACTS:
                other[f"{v['id']} ({v['impact']})"] = other.get(f"{v['id']} ({v['impact']})", 0) + 1
    terminalreporter.write_sep("-", "axe-core")
    terminalreporter.write_line(
        f"{len(checks)} page checks ({len({c.url.split('#')[0] for c in checks})} distinct URLs), "
        f"{blocking} serious/critical violation(s); tags {', '.join(helpers.AXE_TAGS)}"
    )
    for name, count in sorted(other.items()):
        terminalreporter.write_line(f"  below the bar (not failing): {name} on {count} page check(s)")
    terminalreporter.write_line(f"  full report: {helpers.ARTIFACTS / 'axe-report.json'}")


# --- Browser -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's package (apt-get install chromium) "
            "or point MADOGUCHI_CHROMIUM at a Chromium binary. Playwright must not download one."
        )
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def _safe_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::", 1)[-1])[:120]


@pytest.fixture
def open_page(browser: Browser, live_server, request: pytest.FixtureRequest) -> Iterator[Callable[..., Page]]:  # type: ignore[no-untyped-def]
    """open_page("phone"|"desktop") → a Page in a fresh browser context (own cookies) on the live server.

    On teardown: failing tests leave a full-page screenshot of every open page in e2e/artifacts/; a page that
    was loaded but never checked with axe fails the test; so does any uncaught JavaScript error.
    """
    log = helpers.begin_test(request.node.nodeid)
    pages: list[Page] = []
    js_errors: list[str] = []

    def _open(kind: str = "phone") -> Page:
        context = browser.new_context(
            base_url=live_server.url,
            locale="ja-JP",
            timezone_id="Asia/Tokyo",
            bypass_csp=True,  # axe-core is injected as a script; the app's CSP forbids that on purpose
            **VIEWPORTS[kind],
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.on("load", lambda p: log.loaded.append(p.url))
        page.on("pageerror", lambda error: js_errors.append(f"{page.url}: {error}"))
        pages.append(page)
        return page

    yield _open

    call_report = getattr(request.node, "rep_call", None)
    failed = call_report is not None and call_report.failed
    try:
        if failed:
            helpers.ARTIFACTS.mkdir(parents=True, exist_ok=True)
            for index, page in enumerate(pages):
                if not page.is_closed():
                    page.screenshot(
                        path=helpers.ARTIFACTS / f"FAILED-{_safe_name(request.node.nodeid)}-{index}.png", full_page=True
                    )
        elif call_report is not None and call_report.passed:
            assert not js_errors, "JavaScript errors:\n" + "\n".join(js_errors)
            unchecked = log.unchecked()
            assert not unchecked, f"pages loaded but never checked with axe-core: {unchecked}"
    finally:
        helpers.end_test()
        for page in pages:
            page.context.close()


# --- Data ----------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """Sign-in throttling counters live in the cache: every test starts with none. The per-process host memo is emptied
    too: the host names a test mapped are rolled back with its database, without their delete() forgetting them."""
    cache.clear()
    forget_host_memo()
    yield
    cache.clear()
    forget_host_memo()


@dataclass
class Town:
    municipality: Municipality
    important: Notice
    normal: Notice

    @property
    def home(self) -> str:
        return f"/{self.municipality.slug}/"

    @property
    def staff(self) -> str:
        return f"/{self.municipality.slug}/staff/"


@pytest.fixture
def town(transactional_db) -> Town:  # type: ignore[no-untyped-def]
    """A municipality shaped like the demo's 南砺市, with departments and two published notices."""
    municipality = make_municipality(
        slug="nanto",
        name="南砺市",
        name_kana="なんとし",
        name_en="Nanto City",
        prefecture="富山県",
        prefecture_en="Toyama",
        postal_code="9391692",
        address="富山県南砺市苗島4880",
        address_en="4880 Naeshima, Nanto, Toyama",
        contact_department="地域デジタル推進課",
        office_hours="平日 8時30分から17時15分まで",
        office_hours_en="Weekdays 8:30–17:15",
    )
    make_department(municipality, slug="shimin", name="市民課", name_en="Citizens Division")
    make_department(municipality, slug="dx", name="DX推進課", name_en="Digital Transformation Office")
    now = timezone.now()
    with scopes_disabled():
        important = Notice.objects.create(
            municipality=municipality,
            title="年末年始の窓口業務のお知らせ",
            title_en="Counter services over the New Year holidays",
            body="12月29日から1月3日まで、市役所の窓口業務はお休みします。\n\nオンライン申請は期間中もご利用いただけます。",
            body_en="City hall counters are closed from 29 December to 3 January.\n\nOnline applications remain available.",
            importance=Importance.IMPORTANT,
            published_at=now - datetime.timedelta(days=3),
        )
        normal = Notice.objects.create(
            municipality=municipality,
            title="防災訓練のお知らせ",
            title_en="Disaster drill",
            body="市内全域で総合防災訓練を実施します。",
            body_en="A city-wide disaster drill will be held.",
            importance=Importance.NORMAL,
            published_at=now - datetime.timedelta(days=10),
        )
    return Town(municipality=municipality, important=important, normal=normal)
