"""/api/v1/municipalities/{slug}/facilities: catalogue, availability, idempotent booking, cancel, my bookings."""

import json

import pytest
from django.test import Client

from madoguchi.core.tenancy import municipality_scope
from madoguchi.facilities.api import FacilityPage
from madoguchi.facilities.models import Booking

from ..factories import make_user
from .conftest import make_facility, make_registration, make_room

API = "/api/v1/municipalities/city-a/facilities"


def _client(user):
    client = Client(enforce_csrf_checks=False)
    client.force_login(user, backend="madoguchi.accounts.backends.EmailBackend")
    return client


def _payload(room, registration, day, slots, **extra):
    return {
        "room": str(room.public_id),
        "date": day.isoformat(),
        "slots": [s.pk for s in slots],
        "registration": str(registration.public_id),
        "attendees": 4,
        "purpose": "練習",
        **extra,
    }


def test_catalogue_and_availability_are_public(facilities_a, room_a, slots_a, open_day):
    response = Client().get(API)
    assert response["Content-Type"] == "application/json; charset=utf-8"
    listing = response.json()
    assert listing["count"] == 1 and listing["items"][0]["rooms"][0]["slots"][0]["fee"] == 1000
    # The list is serialised by hand for speed: it must still be exactly the documented FacilityPage.
    parsed = FacilityPage.model_validate(listing)
    assert parsed.model_dump(mode="json") == listing
    assert listing["items"][0]["name"] == "中央公民館"
    detail = Client().get(f"{API}/kominkan").json()
    assert detail["latitude"] == 36.7
    availability = Client().get(f"{API}/rooms/{room_a.public_id}/availability", {"month": open_day.strftime("%Y-%m")})
    cells = availability.json()["cells"]
    assert any(c["date"] == open_day.isoformat() and c["status"] == "free" for c in cells)
    bad = Client().get(f"{API}/rooms/{room_a.public_id}/availability", {"month": "2026-13"})
    assert bad.status_code == 422 and bad.json()["error"]["fields"]


def test_booking_is_idempotent_with_the_same_key(facilities_a, room_a, slots_a, registration_a, open_day):
    client = _client(registration_a.user)
    body = json.dumps(_payload(room_a, registration_a, open_day, slots_a[:1]))
    first = client.post(f"{API}/bookings", body, content_type="application/json", headers={"Idempotency-Key": "k-1"})
    again = client.post(f"{API}/bookings", body, content_type="application/json", headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and first.json()["status"] == "provisional"
    with municipality_scope(facilities_a):
        assert Booking.objects.count() == 1
    mine = client.get(f"{API}/bookings").json()
    assert mine["count"] == 1 and mine["items"][0]["number"] == first.json()["number"]


def test_taken_unit_is_a_409_with_alternatives(facilities_a, room_a, slots_a, registration_a, open_day):
    rival = make_registration(facilities_a)
    _client(rival.user).post(
        f"{API}/bookings", json.dumps(_payload(room_a, rival, open_day, slots_a[:1])), content_type="application/json"
    )
    response = _client(registration_a.user).post(
        f"{API}/bookings",
        json.dumps(_payload(room_a, registration_a, open_day, slots_a[:1])),
        content_type="application/json",
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "slot_taken" and error["message"] == "この枠は先に予約されました。"
    assert error["fields"]["alternatives"]


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"slots": []}, 422),
        ({"slots": [999999]}, 422),
        ({"attendees": 0}, 422),
        ({"purpose": "a\x00b"}, 422),
        ({"purpose": "x" * 201}, 422),
        ({"registration": "00000000-0000-0000-0000-000000000000"}, 403),
        ({"room": "not-a-uuid"}, 404),
        ({"date": "2026-02-30"}, 422),
    ],
)
def test_hostile_booking_input_is_refused_in_the_error_shape(
    facilities_a, room_a, slots_a, registration_a, open_day, change, status
):
    payload = {**_payload(room_a, registration_a, open_day, slots_a[:1]), **change}
    response = _client(registration_a.user).post(
        f"{API}/bookings", json.dumps(payload), content_type="application/json"
    )
    assert response.status_code == status
    assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_booking_needs_a_session_and_another_municipalitys_room_is_404(
    facilities_a, room_a, slots_a, registration_a, open_day, city_b
):
    anonymous = Client().post(
        f"{API}/bookings",
        json.dumps(_payload(room_a, registration_a, open_day, slots_a[:1])),
        content_type="application/json",
    )
    assert anonymous.status_code == 401
    other_room = make_room(make_facility(city_b, slug="elsewhere"))
    response = _client(registration_a.user).post(
        f"{API}/bookings",
        json.dumps({**_payload(room_a, registration_a, open_day, slots_a[:1]), "room": str(other_room.public_id)}),
        content_type="application/json",
    )
    assert response.status_code == 404


def test_cancel_through_the_api_and_strangers_get_404(facilities_a, room_a, slots_a, registration_a, open_day):
    client = _client(registration_a.user)
    created = client.post(
        f"{API}/bookings",
        json.dumps(_payload(room_a, registration_a, open_day, slots_a[:1])),
        content_type="application/json",
    ).json()
    stranger = _client(make_user())
    assert stranger.post(f"{API}/bookings/{created['id']}/cancel").status_code == 404
    cancelled = client.post(f"{API}/bookings/{created['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = client.post(f"{API}/bookings/{created['id']}/cancel")
    assert again.status_code == 409


def test_api_rate_limit_is_a_429_with_retry_after(facilities_a, room_a, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "facility_availability": (2, 30)}
    client = Client()
    codes = [client.get(f"{API}/rooms/{room_a.public_id}/availability").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    busy = client.get(f"{API}/rooms/{room_a.public_id}/availability")
    assert busy["Retry-After"] == "30" and busy.json()["error"]["code"] == "rate_limited"
