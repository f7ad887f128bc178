"""Facility photos: staff add, describe, reorder and remove them; residents and API clients see them."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from madoguchi.accounts.permissions import Role
from madoguchi.audit.models import AuditEvent
from madoguchi.core.tenancy import municipality_scope
from madoguchi.facilities import photos as photo_services
from madoguchi.facilities.models import FacilityPhoto

from ..factories import make_staff, staff_client
from .conftest import make_facility


@pytest.fixture(autouse=True)
def _photo_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
    settings.FACILITIES_PHOTO_MAX_EDGE = 64
    settings.FACILITIES_PHOTOS_PER_FACILITY = 3
    return tmp_path


@pytest.fixture
def admin_a(facilities_a):
    return staff_client(make_staff(facilities_a, Role.MUNICIPALITY_ADMIN))


def _jpeg(width=200, height=100, *, gps=True, shade=0) -> bytes:
    """Left half red, right half blue (`shade` makes a different picture), with a GPS position and a camera name
    in its EXIF."""
    image = Image.new("RGB", (width, height), (0, shade, 255))
    image.paste((255, 0, 0), (0, 0, width // 2, height))
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    if gps:
        position = exif.get_ifd(0x8825)
        position[1], position[2], position[3], position[4] = "N", (36.0, 48.0, 1.0), "E", (137.0, 24.0, 2.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=95)
    return out.getvalue()


def _photos_url(facility):
    return f"/{facility.municipality.slug}/staff/facilities/{facility.public_id}/photos/"


def _add(client, facility, data: bytes, *, name="hall.jpg", alt="大会議室。机30台と演台"):
    return client.post(
        _photos_url(facility),
        {"image": SimpleUploadedFile(name, data, content_type="image/jpeg"), "alt": alt, "alt_en": "Main hall"},
    )


def _photo_list(facility) -> list[FacilityPhoto]:
    with municipality_scope(facility.municipality):
        return list(FacilityPhoto.objects.filter(facility=facility).order_by("position", "pk"))


def test_staff_add_a_photo_that_loses_its_metadata_and_is_scaled_down(admin_a, facility_a, _photo_storage):
    original = _jpeg()
    with Image.open(io.BytesIO(original)) as check:
        assert check.getexif().get_ifd(0x8825)  # the test photo really carries a position

    response = _add(admin_a, facility_a, original)

    assert response.status_code == 302
    [photo] = _photo_list(facility_a)
    assert (photo.width, photo.height) == (64, 32)  # longest edge at FACILITIES_PHOTO_MAX_EDGE, shape kept
    stored = (_photo_storage / photo.storage_name).read_bytes()
    assert len(stored) == photo.size
    with Image.open(io.BytesIO(stored)) as kept:
        assert kept.size == (64, 32)
        assert not kept.getexif()  # no camera, no GPS
        assert kept.getpixel((5, 16))[0] > 200 and kept.getpixel((58, 16))[2] > 200  # still red | blue
    with municipality_scope(facility_a.municipality):
        event = AuditEvent.objects.get(action="facilities.photo_added")
    assert event.object_id == str(photo.public_id)


def test_residents_see_the_photo_with_its_description_and_get_its_bytes(admin_a, facility_a):
    _add(admin_a, facility_a, _jpeg(), alt="体育館のアリーナ。バスケットコート2面")
    [photo] = _photo_list(facility_a)
    slug = facility_a.municipality.slug

    page = Client().get(f"/{slug}/facilities/{facility_a.slug}/")
    assert page.status_code == 200
    url = f"/{slug}/facilities/photos/{photo.public_id}/"
    html = page.content.decode()
    assert f'src="{url}"' in html and 'alt="体育館のアリーナ。バスケットコート2面"' in html
    assert 'width="64" height="32"' in html  # no layout shift while it loads

    image = Client().get(url)
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert image["Cache-Control"] == "public, max-age=86400"
    with Image.open(io.BytesIO(image.content)) as served:
        assert served.size == (64, 32)
    again = Client().get(url, HTTP_IF_NONE_MATCH=image["ETag"])
    assert again.status_code == 304 and again.content == b""

    english = Client().get(f"/{slug}/facilities/{facility_a.slug}/?lang=en")
    assert 'alt="Main hall"' in english.content.decode()


def test_the_api_lists_photos_with_absolute_urls(admin_a, facility_a):
    _add(admin_a, facility_a, _jpeg())
    [photo] = _photo_list(facility_a)
    slug = facility_a.municipality.slug
    detail = Client().get(f"/api/v1/municipalities/{slug}/facilities/{facility_a.slug}").json()
    listed = Client().get(f"/api/v1/municipalities/{slug}/facilities").json()
    expected = {
        "url": f"http://testserver/{slug}/facilities/photos/{photo.public_id}/",
        "alt": "大会議室。机30台と演台",
        "alt_en": "Main hall",
        "width": 64,
        "height": 32,
    }
    assert detail["photos"] == [expected]
    assert [item["photos"] for item in listed["items"] if item["slug"] == facility_a.slug] == [[expected]]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "x.svg", "危険"),
        (b"%PDF-1.4 not an image", "x.jpg", "画像（JPEG・PNG・WebP）"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 64, "broken.jpg", "壊れている"),
    ],
)
def test_files_that_are_not_safe_images_are_refused_at_the_field(admin_a, facility_a, data, name, message):
    response = _add(admin_a, facility_a, data, name=name, alt="説明")

    assert response.status_code == 400
    form = response.context["form"]
    assert message in " ".join(form.errors["image"])
    assert form["alt"].value() == "説明"  # what was typed is kept
    assert _photo_list(facility_a) == []


def test_a_photo_needs_a_description_and_the_count_is_limited(admin_a, facility_a, _photo_storage):
    missing = _add(admin_a, facility_a, _jpeg(), alt="  ")
    assert missing.status_code == 400
    assert "写真の説明を入力してください" in missing.context["form"].errors["alt"][0]

    for n in range(3):
        assert _add(admin_a, facility_a, _jpeg(shade=40 * n), alt=f"写真{n}").status_code == 302
    fourth = _add(admin_a, facility_a, _jpeg(shade=200), alt="4枚目")
    assert fourth.status_code == 400  # posted from a page opened before the third photo was added
    assert "3枚まで" in fourth.context["form"].errors["image"][0]
    assert fourth.context["form"]["alt"].value() == "4枚目"
    page = admin_a.get(_photos_url(facility_a))
    assert "3枚まで登録できます" in page.content.decode() and 'type="file"' not in page.content.decode()
    with pytest.raises(photo_services.ServiceError) as refused, municipality_scope(facility_a.municipality):
        photo_services.photo_add(
            facility=facility_a,
            upload=SimpleUploadedFile("a.jpg", _jpeg(shade=200)),
            alt="4枚目",
            actor=None,
        )
    assert refused.value.code == "too_many_photos" and refused.value.field == "image"
    assert len(_photo_list(facility_a)) == 3
    assert len(list((_photo_storage / "facility_photos").iterdir())) == 3  # refused photos leave no file behind


def test_staff_reorder_describe_and_remove_photos(
    admin_a, facility_a, _photo_storage, django_capture_on_commit_callbacks
):
    for n, alt in enumerate(("正面玄関", "大会議室", "和室")):
        _add(admin_a, facility_a, _jpeg(shade=60 * n), alt=alt)
    first, second, third = _photo_list(facility_a)
    action = f"/{facility_a.municipality.slug}/staff/facilities/photos/"

    assert admin_a.post(f"{action}{third.public_id}/", {"action": "earlier"}).status_code == 302
    assert [p.alt for p in _photo_list(facility_a)] == ["正面玄関", "和室", "大会議室"]
    admin_a.post(f"{action}{first.public_id}/", {"action": "earlier"})  # already first: nothing changes
    assert [p.alt for p in _photo_list(facility_a)] == ["正面玄関", "和室", "大会議室"]

    empty = admin_a.post(f"{action}{second.public_id}/", {"action": "describe", "alt": "", "alt_en": "Hall"})
    assert empty.status_code == 400
    assert "写真の説明を入力してください" in empty.content.decode()
    assert 'value="Hall"' in empty.content.decode()  # the English text typed is kept
    admin_a.post(f"{action}{second.public_id}/", {"action": "describe", "alt": "2階 大会議室", "alt_en": "Hall"})
    assert [p.alt for p in _photo_list(facility_a)] == ["正面玄関", "和室", "2階 大会議室"]

    stored = _photo_storage / third.storage_name
    assert stored.exists()
    with django_capture_on_commit_callbacks(execute=True):
        admin_a.post(f"{action}{third.public_id}/", {"action": "remove"})
    assert [p.alt for p in _photo_list(facility_a)] == ["正面玄関", "2階 大会議室"]
    assert not stored.exists()
    with municipality_scope(facility_a.municipality):
        actions = set(AuditEvent.objects.filter(object_type="facility_photo").values_list("action", flat=True))
    assert {"facilities.photo_moved", "facilities.photo_updated", "facilities.photo_removed"} <= actions


def test_the_same_photo_sent_twice_is_kept_once(admin_a, facility_a, _photo_storage):
    first = _add(admin_a, facility_a, _jpeg(), alt="正面玄関")
    again = _add(admin_a, facility_a, _jpeg(), alt="正面玄関")  # a double click or a browser retry
    assert first.status_code == again.status_code == 302
    assert [p.alt for p in _photo_list(facility_a)] == ["正面玄関"]
    assert len(list((_photo_storage / "facility_photos").iterdir())) == 1
    with municipality_scope(facility_a.municipality):
        assert AuditEvent.objects.filter(action="facilities.photo_added").count() == 1


def test_counter_staff_cannot_manage_photos(facilities_a, facility_a):
    counter = staff_client(make_staff(facilities_a, Role.COUNTER_STAFF))
    assert counter.get(_photos_url(facility_a)).status_code == 403
    assert _add(counter, facility_a, _jpeg()).status_code == 403
    assert _photo_list(facility_a) == []


def test_photos_stay_inside_their_municipality_and_their_published_facility(admin_a, facility_a, city_b):
    from ..factories import enable_module

    _add(admin_a, facility_a, _jpeg())
    [photo] = _photo_list(facility_a)
    enable_module(city_b, "facilities")
    make_facility(city_b, slug="other")
    slug_a, slug_b = facility_a.municipality.slug, city_b.slug

    assert Client().get(f"/{slug_b}/facilities/photos/{photo.public_id}/").status_code == 404
    other_admin = staff_client(make_staff(city_b, Role.MUNICIPALITY_ADMIN))
    assert (
        other_admin.post(f"/{slug_b}/staff/facilities/photos/{photo.public_id}/", {"action": "remove"}).status_code
        == 404
    )
    assert other_admin.get(f"/{slug_b}/staff/facilities/{facility_a.public_id}/photos/").status_code == 404
    for hostile in ("not-a-uuid", "1 OR 1=1", "%00", "../" * 5):
        assert Client().get(f"/{slug_a}/facilities/photos/{hostile}/").status_code == 404
    assert len(_photo_list(facility_a)) == 1

    with municipality_scope(facility_a.municipality):
        facility_a.is_published = False
        facility_a.save(update_fields=["is_published"])
    assert Client().get(f"/{slug_a}/facilities/photos/{photo.public_id}/").status_code == 404


def test_photos_is_not_a_facility_slug(facilities_a):
    from django.core.exceptions import ValidationError

    from madoguchi.facilities.models import validate_facility_slug

    with pytest.raises(ValidationError):
        validate_facility_slug("photos")
