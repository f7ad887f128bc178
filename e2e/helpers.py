"""Helpers shared by the browser tests: visiting pages, submitting forms, signing in and running axe-core.

axe-core reaches us inside the `axe-playwright-python` package (its bundled axe.min.js); nothing is copied
into this repository.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pyotp
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, Response, expect

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

# WCAG 2.2 AA as axe-core tags it (see docs/architecture.md §7 and research §3.2).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING_IMPACTS = {"serious", "critical"}

_axe = Axe()


@dataclass
class AxeCheck:
    test: str
    url: str
    viewport: str
    title: str
    violations: list[dict[str, Any]]

    @property
    def blocking(self) -> list[dict[str, Any]]:
        return [v for v in self.violations if v["impact"] in BLOCKING_IMPACTS]


@dataclass
class AuditLog:
    """What one test loaded and what it checked, so a page that was visited but never checked is noticed."""

    test: str
    loaded: list[str] = field(default_factory=list)
    checked: list[AxeCheck] = field(default_factory=list)

    def unchecked(self) -> list[str]:
        done = {_without_fragment(check.url) for check in self.checked}
        return sorted({url for url in map(_without_fragment, self.loaded) if url not in done})


# Every check of the session, written to artifacts/axe-report.json at the end (conftest.py).
SESSION_CHECKS: list[AxeCheck] = []
_current: AuditLog | None = None


def begin_test(test: str) -> AuditLog:
    global _current
    _current = AuditLog(test)
    return _current


def end_test() -> None:
    global _current
    _current = None


def _without_fragment(url: str) -> str:
    return urldefrag(url)[0]


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _viewport_label(page: Page) -> str:
    size = page.viewport_size or {"width": 0, "height": 0}
    return f"{size['width']}x{size['height']}"


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} [{violation['impact']}] {violation['help']} ({violation.get('helpUrl', '')})"
        )
        for node in violation["nodes"][:10]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    target: {target}")
            summary = (node.get("failureSummary") or "").replace("\n", " ").strip()
            if summary:
                lines.append(f"      {summary[:300]}")
        if len(violation["nodes"]) > 10:
            lines.append(f"    … and {len(violation['nodes']) - 10} more element(s)")
    return "\n".join(lines)


def assert_accessible(page: Page) -> AxeCheck:
    """Run axe-core (WCAG 2.0/2.1/2.2 A and AA rules) and fail on any serious or critical violation."""
    page.wait_for_load_state("load")
    results = _axe.run(
        page,
        options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]},
    )
    violations = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "helpUrl": v.get("helpUrl", ""),
            "nodes": [{"target": n["target"], "failureSummary": n.get("failureSummary", "")} for n in v["nodes"]],
        }
        for v in results.response["violations"]
    ]
    check = AxeCheck(
        test=_current.test if _current else "",
        url=page.url,
        viewport=_viewport_label(page),
        title=page.title(),
        violations=violations,
    )
    SESSION_CHECKS.append(check)
    if _current is not None:
        _current.checked.append(check)
    blocking = check.blocking
    assert not blocking, (
        f"axe-core found {len(blocking)} serious/critical violation(s) on {_path(page.url)} "
        f"({check.viewport}, «{check.title}»):\n{format_violations(blocking)}"
    )
    return check


def write_axe_report(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = [
        {
            "test": c.test,
            "url": _path(c.url),
            "viewport": c.viewport,
            "title": c.title,
            "violations": c.violations,
        }
        for c in SESSION_CHECKS
    ]
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


# --- Navigation --------------------------------------------------------------------------------------------


def visit(page: Page, path: str, *, status: int = 200, check: bool = True) -> Response:
    """Open a path on the live server, check the HTTP status and (by default) run axe on the page."""
    response = page.goto(path)
    assert response is not None, f"no response for {path}"
    assert response.status == status, f"GET {path}: expected HTTP {status}, got {response.status} at {page.url}"
    if check:
        assert_accessible(page)
    return response


def submit(page: Page, button: Locator, *, status: int = 200, check: bool = True) -> Response:
    """Press a submit button (or follow a link), wait for the next page to load, check status and axe."""
    with page.expect_navigation() as navigation:
        button.click()
    response = navigation.value
    assert response is not None, f"no response after pressing {button}"
    assert response.status == status, (
        f"expected HTTP {status} after pressing {button}, got {response.status} at {page.url}"
    )
    if check:
        assert_accessible(page)
    return response


def path_of(page: Page) -> str:
    return _path(page.url)


def expect_path(page: Page, path: str) -> None:
    expect(page).to_have_url(re.compile(r"^https?://[^/]+" + re.escape(path) + r"(\?.*)?(#.*)?$"))


# --- Sign-in -------------------------------------------------------------------------------------------------


def sign_in_with_password(page: Page, email: str, password: str, *, next_path: str = "") -> None:
    visit(page, "/accounts/login/" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(password)
    submit(page, page.get_by_role("button", name="ログインする"))


def enter_totp_code(page: Page, code: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("確認コードの入力")
    page.get_by_label("確認コード").fill(code)
    submit(page, page.get_by_role("button", name="ログインする"))


def totp_code_for_step(secret: str, step: int) -> str:
    """The code of a given 30-second step: signing in twice within one step must use the next step's code,
    since the server never accepts the same step twice (replay protection)."""
    return pyotp.TOTP(secret).at(step * 30)
