"""Keyboard use: the skip link is the first Tab stop, is visible when focused, and moves focus to <main>."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, TEST_TOTP_SECRET, make_staff, totp_now

from .helpers import enter_totp_code, sign_in_with_password, visit

pytestmark = pytest.mark.e2e


def _assert_skip_link_works(page: Page) -> None:
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_text("本文へ移動")
    expect(skip).to_have_attribute("href", "#main")
    expect(skip).to_be_in_viewport()  # hidden off-screen until focused, then shown
    outline = skip.evaluate("element => getComputedStyle(element).outlineStyle")
    assert outline not in ("none", ""), f"the focused skip link has no visible focus outline ({outline})"

    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    # The next Tab continues inside the page body, not back in the header.
    page.keyboard.press("Tab")
    in_header = page.evaluate("() => document.activeElement.closest('header') !== null")
    assert not in_header, "after the skip link, Tab went back into the header"


@pytest.mark.parametrize("path", ["/", "/nanto/", "/nanto/notices/", "/accounts/login/"])
def test_skip_link_on_resident_pages(open_page, town, path):
    page = open_page("phone")
    visit(page, path)
    _assert_skip_link_works(page)


def test_skip_link_in_the_back_office(open_page, town):
    admin = make_staff(town.municipality, email="admin@nanto.example.jp")
    page = open_page("desktop")
    sign_in_with_password(page, admin.email, PASSWORD, next_path=town.staff)
    enter_totp_code(page, totp_now(TEST_TOTP_SECRET))
    visit(page, f"{town.staff}departments/")
    _assert_skip_link_works(page)
