"""Facility photos in the browser: a facility manager uploads a photo with its description at a desktop, fixes a
missing description, and a resident on a phone sees the photo on the facility page with that text alternative.
axe-core checks every page visited (0 serious or critical violations)."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from madoguchi.accounts.permissions import Role
from madoguchi.core.tenancy import municipality_scope
from madoguchi.facilities.models import FacilityPhoto
from tests.facilities.conftest import make_facility, make_room
from tests.factories import PASSWORD, TEST_TOTP_SECRET, enable_module, make_municipality, make_staff, totp_now

from .helpers import enter_totp_code, expect_path, sign_in_with_password, submit, visit

pytestmark = pytest.mark.e2e


@pytest.fixture
def city(transactional_db, settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.FACILITIES_MAP_TILE_URL = "/static/e2e-no-tiles/{z}/{x}/{y}.png"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
    municipality = make_municipality(name="試験市", name_en="Test City", slug="shiken")
    enable_module(municipality, "facilities")
    return municipality


def _photo(path) -> str:  # type: ignore[no-untyped-def]
    """A 2,400 × 1,200 JPEG with a GPS position in its EXIF, as a phone would take it."""
    image = Image.new("RGB", (2400, 1200), (40, 120, 200))
    image.paste((230, 230, 230), (0, 800, 2400, 1200))
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (36.0, 48.0, 1.0), "E", (137.0, 24.0, 2.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    target = path / "hall.jpg"
    target.write_bytes(out.getvalue())
    return str(target)


def test_manager_adds_a_described_photo_and_a_resident_sees_it(open_page, city, tmp_path):
    facility = make_facility(city)
    make_room(facility)
    staff = make_staff(city, Role.MUNICIPALITY_ADMIN, email="shisetsu@shiken.example.jp")
    photos_path = f"/shiken/staff/facilities/{facility.public_id}/photos/"

    desk = open_page("desktop")
    sign_in_with_password(desk, staff.email, PASSWORD, next_path=f"/shiken/staff/facilities/{facility.public_id}/")
    enter_totp_code(desk, totp_now(TEST_TOTP_SECRET))
    expect_path(desk, f"/shiken/staff/facilities/{facility.public_id}/")
    submit(desk, desk.get_by_role("link", name="写真（0枚）"))
    expect_path(desk, photos_path)
    expect(desk.get_by_role("heading", level=1)).to_have_text("中央公民館の写真")

    desk.get_by_label("写真 必須", exact=True).set_input_files(_photo(tmp_path))
    submit(desk, desk.get_by_role("button", name="写真を追加する"), status=400)
    summary = desk.get_by_role("alert")
    expect(summary).to_contain_text("写真の説明を入力してください")

    desk.get_by_label("写真 必須", exact=True).set_input_files(_photo(tmp_path))
    desk.get_by_label("写真の説明（代替テキスト） 必須", exact=True).fill("2階 大会議室。机30台と演台")
    submit(desk, desk.get_by_role("button", name="写真を追加する"))
    expect(desk.locator("main")).to_contain_text("写真を追加しました。")
    expect(desk.get_by_role("img", name="2階 大会議室。机30台と演台")).to_be_visible()
    with municipality_scope(city):
        photo = FacilityPhoto.objects.get(facility=facility)
    assert max(photo.width, photo.height) == 1600  # scaled for the web

    phone = open_page("phone")
    visit(phone, f"/shiken/facilities/{facility.slug}/")
    image = phone.get_by_role("img", name="2階 大会議室。机30台と演台")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.naturalWidth") == 1600  # the browser really loaded the served bytes
    box = image.bounding_box()
    assert box is not None and box["width"] <= phone.viewport_size["width"]  # fits the phone screen
