"""Resident pages, the staff back office and the API: journeys, hostile input, isolation (404), audit."""

import json

import pytest
from django.test import Client

from madoguchi.accounts.models import Role
from madoguchi.audit.models import AuditEvent
from madoguchi.core.tenancy import municipality_scope
from madoguchi.lottery.models import EntryStatus, LotteryEntry, LotteryRound, RoundStatus

from ..factories import enable_module, make_staff, staff_client
from .conftest import close_and_draw, enter, make_registration, make_round, offers_of

API = "/api/v1/municipalities/city-a/lottery"


def _client(user=None):
    client = Client()
    if user is not None:
        client.force_login(user, backend="madoguchi.accounts.backends.EmailBackend")
    return client


def _count(lottery):
    with municipality_scope(lottery.municipality):
        return LotteryEntry.objects.filter(round=lottery, status=EntryStatus.ACTIVE).count()


def test_public_pages_show_the_commitment_without_login(lottery):
    listing = _client().get("/city-a/lottery/")
    assert listing.status_code == 200 and lottery.title in listing.content.decode()
    page = _client().get(f"/city-a/lottery/{lottery.public_id}/")
    body = page.content.decode()
    assert page.status_code == 200 and lottery.commitment in body
    assert 'lang="ja"' in body and "<script>" not in body


def test_a_resident_enters_with_ranked_preferences_once_per_token(lottery, registration):
    client = _client(registration.user)
    form = client.get(f"/city-a/lottery/{lottery.public_id}/enter/")
    assert form.status_code == 200
    body = form.content.decode()
    assert 'for="id_preference_1"' in body and "第3希望" in body
    token = form.context["form"].initial["token"]
    offers = offers_of(lottery)
    data = {
        "token": token,
        "registration": registration.pk,
        "preference_1": offers[2].pk,
        "preference_2": offers[0].pk,
    }
    first = client.post(f"/city-a/lottery/{lottery.public_id}/enter/", data)
    again = client.post(f"/city-a/lottery/{lottery.public_id}/enter/", data)
    assert first.status_code == 302 and again.status_code == 302
    assert _count(lottery) == 1
    with municipality_scope(lottery.municipality):
        entry = LotteryEntry.objects.get(round=lottery)
        assert [p.offer_id for p in entry.preferences.order_by("rank")] == [offers[2].pk, offers[0].pk]
    mine = client.get("/city-a/lottery/mine/")
    assert mine.status_code == 200 and entry.code in mine.content.decode()
    withdrawn = client.post(f"/city-a/lottery/mine/{entry.public_id}/withdraw/")
    assert withdrawn.status_code == 302 and _count(lottery) == 0


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"preference_1": ""}, "preference_1", "第1希望の枠を選んでください。"),
        ({"preference_1": "1 OR 1=1"}, "preference_1", "選んだ枠はこの抽選にありません。"),
        ({"preference_1": "9" * 400}, "preference_1", "選んだ枠はこの抽選にありません。"),
        ({"preference_2": "FIRST"}, "preference_2", "希望は第1希望から順に"),
        ({"preference_2": "SAME"}, "preference_2", "同じ枠を2回以上希望することはできません。"),
        ({"registration": "99999999"}, "registration", "この名義では申し込めません。"),
    ],
)
def test_bad_entries_are_refused_at_the_field(lottery, registration, values, field, message):
    offers = offers_of(lottery)
    data = {"token": "x" * 32, "registration": registration.pk, "preference_1": offers[0].pk}
    for key, value in values.items():
        data[key] = {"FIRST": offers[1].pk, "SAME": offers[0].pk}.get(value, value)
    if values.get("preference_2") == "FIRST":
        data["preference_1"] = ""
    response = _client(registration.user).post(f"/city-a/lottery/{lottery.public_id}/enter/", data)
    assert response.status_code == 200
    form = response.context["form"]
    assert any(message in error for error in form.errors.get(field, [])), form.errors
    assert 'href="#id_' in response.content.decode()  # the error summary links the field
    assert _count(lottery) == 0


def test_an_oversized_token_is_refused_without_a_500(lottery, registration):
    offers = offers_of(lottery)
    response = _client(registration.user).post(
        f"/city-a/lottery/{lottery.public_id}/enter/",
        {"token": "t" * 5000, "registration": registration.pk, "preference_1": offers[0].pk},
    )
    assert response.status_code == 200 and _count(lottery) == 0


def test_the_entry_limit_is_shown_at_the_field(lottery, registration):
    offers = offers_of(lottery)
    for n in range(3):
        enter(lottery, registration, [offers[n]])
    response = _client(registration.user).post(
        f"/city-a/lottery/{lottery.public_id}/enter/",
        {"token": "y" * 32, "registration": registration.pk, "preference_1": offers[4].pk},
    )
    assert response.status_code == 200
    assert "3件まで" in response.context["form"].errors["preference_1"][0]


def test_without_an_approved_registration_the_resident_is_sent_to_register(lottery, resident):
    response = _client(resident).get(f"/city-a/lottery/{lottery.public_id}/enter/")
    assert response.status_code == 200 and "/city-a/facilities/register/" in response.content.decode()


def test_another_municipalitys_round_is_404_everywhere(lottery, registration, city_b):
    enable_module(city_b, "facilities")
    enable_module(city_b, "lottery")
    for url in (f"/city-b/lottery/{lottery.public_id}/", f"/city-b/lottery/{lottery.public_id}/enter/"):
        assert _client(registration.user).get(url).status_code == 404
    assert _client().get(f"/api/v1/municipalities/city-b/lottery/rounds/{lottery.public_id}").status_code == 404
    staff_b = staff_client(make_staff(city_b, Role.MUNICIPALITY_ADMIN))
    assert staff_b.get(f"/city-b/staff/lottery/{lottery.public_id}/").status_code == 404
    with municipality_scope(lottery.municipality):
        entry = enter(lottery, registration, offers_of(lottery)[:1])
    assert _client(registration.user).post(f"/city-b/lottery/mine/{entry.public_id}/withdraw/").status_code == 404
    assert _client().get("/city-a/lottery/not-a-uuid/").status_code == 404


def test_module_switched_off_is_404(lottery):
    enable_module(lottery.municipality, "lottery", enabled=False)
    assert _client().get(f"/city-a/lottery/{lottery.public_id}/").status_code == 404


def test_staff_run_a_round_end_to_end(facility, rooms, lottery_city):
    admin = staff_client(make_staff(lottery_city, Role.MUNICIPALITY_ADMIN))
    new = admin.get(f"/city-a/staff/lottery/new/{facility.public_id}/")
    assert new.status_code == 200
    lottery = make_round(facility, rooms, open_it=False)
    opened = admin.post(f"/city-a/staff/lottery/{lottery.public_id}/action/", {"action": "open"})
    assert opened.status_code == 302
    with municipality_scope(lottery_city):
        lottery.refresh_from_db()
    assert lottery.status == RoundStatus.OPEN and lottery.commitment
    registrations = [make_registration(lottery_city) for _ in range(3)]
    entries = [enter(lottery, r, offers_of(lottery)[:2]) for r in registrations]
    page = admin.get(f"/city-a/staff/lottery/{lottery.public_id}/")
    body = page.content.decode()
    assert page.status_code == 200 and entries[0].code in body and "同じ住所" in body  # the factory's shared address
    with municipality_scope(lottery_city):
        assert AuditEvent.objects.filter(action="lottery.entries_viewed", object_id=str(lottery.public_id)).exists()
    empty = admin.post(
        f"/city-a/staff/lottery/{lottery.public_id}/entries/{entries[2].public_id}/exclude/", {"reason": ""}
    )
    assert empty.status_code == 200 and "除外する理由を入力してください。" in empty.content.decode()
    excluded = admin.post(
        f"/city-a/staff/lottery/{lottery.public_id}/entries/{entries[2].public_id}/exclude/", {"reason": "重複登録"}
    )
    assert excluded.status_code == 302 and _count(lottery) == 2
    lottery = close_and_draw(lottery)
    published = admin.post(f"/city-a/staff/lottery/{lottery.public_id}/action/", {"action": "publish"})
    assert published.status_code == 302
    result = _client().get(f"/city-a/lottery/{lottery.public_id}/result.json").json()
    assert result["seed"] and len(result["entries"]) == 2 and len(result["winners"]) == 2
    assert all(registration.name not in json.dumps(result, ensure_ascii=False) for registration in registrations)
    results_page = _client().get(f"/city-a/lottery/{lottery.public_id}/").content.decode()
    assert result["seed"] in results_page
    assert "一致しています" in results_page and "一致しません" not in results_page
    bogus = admin.post(f"/city-a/staff/lottery/{lottery.public_id}/action/", {"action": "drop table"})
    assert bogus.status_code == 302


def test_counter_staff_cannot_manage_lotteries(lottery, lottery_city):
    counter = staff_client(make_staff(lottery_city, Role.COUNTER_STAFF))
    assert counter.get("/city-a/staff/lottery/").status_code == 403
    assert counter.post(f"/city-a/staff/lottery/{lottery.public_id}/action/", {"action": "close"}).status_code == 403


def test_staff_form_errors_stay_on_the_fields(facility, rooms, lottery_city):
    admin = staff_client(make_staff(lottery_city, Role.MUNICIPALITY_ADMIN))
    response = admin.post(
        f"/city-a/staff/lottery/new/{facility.public_id}/",
        {
            "title": "x" * 300,
            "rooms": [rooms[0].pk, 999999],
            "applies_from": "2026-13-01T09:00",
            "applies_until": "yesterday",
            "use_from": "2027-02-01",
            "use_until": "2027-01-01",
            "max_entries": "-1",
            "max_wins": "abc",
            "max_preferences": "99",
            "payment_days": "7",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {
        "title",
        "rooms",
        "applies_from",
        "applies_until",
        "use_until",
        "max_entries",
        "max_wins",
        "max_preferences",
    } <= set(errors)
    assert 'value="2027-02-01"' in response.content.decode()  # what the user typed is kept
    with municipality_scope(lottery_city):
        assert not LotteryRound.objects.exists()


def test_api_enter_is_idempotent_and_lists_my_entries(lottery, registration):
    client = _client(registration.user)
    rounds = client.get(f"{API}/rounds").json()
    assert [r["id"] for r in rounds] == [str(lottery.public_id)] and rounds[0]["seed"] is None
    detail = client.get(f"{API}/rounds/{lottery.public_id}").json()
    offer_ids = [offer["id"] for offer in detail["offers"][:2]]
    body = json.dumps({"registration": str(registration.public_id), "preferences": offer_ids})
    url = f"{API}/rounds/{lottery.public_id}/entries"
    first = client.post(url, body, content_type="application/json", headers={"Idempotency-Key": "e-1"})
    again = client.post(url, body, content_type="application/json", headers={"Idempotency-Key": "e-1"})
    assert first.status_code == 201 and again.status_code == 201 and first.json() == again.json()
    assert _count(lottery) == 1
    mine = client.get(f"{API}/entries").json()
    assert [e["code"] for e in mine] == [first.json()["code"]] and mine[0]["preferences"] == offer_ids


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"registration": "nope", "preferences": [1]}, 403),
        ({"preferences": [1]}, 422),
        ({"registration": "x", "preferences": list(range(50))}, 422),
        ({"registration": "x", "preferences": ["1; DROP TABLE"]}, 422),
        ({"registration": "x", "preferences": [10**30]}, 422),
        ({"registration": "x" * 5000, "preferences": [1]}, 422),
    ],
)
def test_api_hostile_entries_get_the_error_shape(lottery, registration, payload, status):
    response = _client(registration.user).post(
        f"{API}/rounds/{lottery.public_id}/entries", json.dumps(payload), content_type="application/json"
    )
    assert response.status_code == status
    assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_api_refusals_from_the_service(lottery, registration):
    client = _client(registration.user)
    body = json.dumps({"registration": str(registration.public_id), "preferences": [999999]})
    response = client.post(f"{API}/rounds/{lottery.public_id}/entries", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "offer_invalid"
    anonymous = _client().post(f"{API}/rounds/{lottery.public_id}/entries", body, content_type="application/json")
    assert anonymous.status_code == 401


def test_the_seed_check_says_so_when_a_revealed_seed_does_not_match():
    from madoguchi.lottery import draw
    from madoguchi.lottery.views import seed_matches_commitment

    seed = bytes(range(32))
    assert seed_matches_commitment(seed.hex(), draw.commitment(seed)) is True
    assert seed_matches_commitment(bytes(32).hex(), draw.commitment(seed)) is False
    assert seed_matches_commitment("not hex", draw.commitment(seed)) is False
    assert seed_matches_commitment("", draw.commitment(b"")) is False
