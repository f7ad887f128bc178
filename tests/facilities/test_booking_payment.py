"""Paying a 仮予約 online through the payments app (purpose "facilities.booking", the built-in test gateway):
the hosted page confirms the booking exactly once whether the return or the webhook comes first or the webhook
twice; money that arrives after the hold expired is kept and shown to staff for a refund; cancelling an
online-paid booking refunds through the adapter by the facility's table. Another person's or another
municipality's booking is 404."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from madoguchi.accounts.models import Role
from madoguchi.audit.models import AuditEvent
from madoguchi.core.tenancy import municipality_scope
from madoguchi.facilities import services
from madoguchi.facilities.models import Booking, BookingSource, BookingStatus, Equipment
from madoguchi.facilities.payment import PAYMENT_PURPOSE
from madoguchi.facilities.tasks import expire_provisional_bookings
from madoguchi.payments import services as payment_services
from madoguchi.payments.demo import seed_payments
from madoguchi.payments.models import Payment, PaymentEvent, PaymentStatus, TestGatewayCharge

from ..factories import enable_module, make_staff, make_user, staff_client
from ..payments.conftest import HeldWebhooks, pay_on_gateway
from .conftest import make_facility, make_registration, make_room, next_open_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def card_a(facilities_a):
    """City A takes card payments through the test gateway (and 窓口払い)."""
    with municipality_scope(facilities_a):
        seed_payments(facilities_a)
    return facilities_a


@pytest.fixture
def held(monkeypatch) -> HeldWebhooks:
    from madoguchi.payments import testgateway

    webhooks = HeldWebhooks()
    monkeypatch.setattr(testgateway, "deliver_webhook", webhooks)
    return webhooks


def _client(user) -> Client:
    client = Client()
    client.force_login(user, backend="madoguchi.accounts.backends.EmailBackend")
    return client


def _book(municipality, room, registration, *, days=10, slot_indexes=(1,), **kwargs) -> Booking:
    day = next_open_day(offset=days)
    with municipality_scope(municipality):
        slots = list(room.slots.order_by("starts_at"))
        return services.booking_create(
            municipality=municipality,
            room=room,
            date=day,
            slots=[slots[i] for i in slot_indexes],
            registration=registration,
            actor=registration.user,
            request=None,
            **kwargs,
        )


def _page(booking: Booking) -> str:
    return f"/{booking.municipality.slug}/facilities/mine/bookings/{booking.public_id}/"


def _refresh(booking: Booking) -> Booking:
    with scopes_disabled():
        return Booking.objects.get(pk=booking.pk)


def _payments(booking: Booking) -> list[Payment]:
    with scopes_disabled():
        return list(Payment.objects.filter(purpose=PAYMENT_PURPOSE, object_id=str(booking.public_id)).order_by("pk"))


def _confirmations(booking: Booking) -> int:
    with scopes_disabled():
        return AuditEvent.objects.filter(action="facilities.booking_paid", object_id=str(booking.public_id)).count()


def _start(client: Client, booking: Booking) -> str:
    """Press 「オンラインで支払う」: the hosted page's path."""
    response = client.post(_page(booking) + "pay/")
    assert response.status_code == 302, response.content.decode()[:1000]
    location = response["Location"]
    assert location.startswith("/payments/test-gateway/checkout/"), location
    return location


def test_paying_through_the_test_gateway_confirms_the_booking_with_a_qr_code(
    card_a, room_a, registration_a, held, django_capture_on_commit_callbacks
):
    booking = _book(card_a, room_a, registration_a)
    client = _client(registration_a.user)
    page = client.get(_page(booking)).content.decode()
    assert "オンラインで支払う" in page and 'action="' + _page(booking) + 'pay/"' in page
    assert "施設の窓口でもお支払いいただけます" in page  # counter payment stays possible
    checkout = _start(client, booking)
    hosted = client.get(checkout).content.decode()
    assert "甲市" in hosted and "1,500円" in hosted
    assert _refresh(booking).status == BookingStatus.PROVISIONAL  # nothing confirmed before the money
    back = pay_on_gateway(client, checkout)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(back)
    assert response.status_code == 302 and response["Location"] == _page(booking)
    confirmed = _refresh(booking)
    (payment,) = _payments(booking)
    assert confirmed.status == BookingStatus.CONFIRMED and confirmed.payment_method == "online"
    assert confirmed.payment_reference == str(payment.public_id) and confirmed.payment_due_at is None
    assert payment.status == PaymentStatus.PAID and payment.amount == 1500 and payment.payer == registration_a.user
    assert sum(line["amount"] for line in payment.lines) == 1500
    assert any("確定" in message.subject for message in mail.outbox)
    page = client.get(response["Location"]).content.decode()
    assert "予約確定" in page and "<svg" in page and "受付用QRコード" in page
    assert payment.receipt_number in page and f"/city-a/payments/{payment.public_id}/receipt/" in page
    assert "オンラインで支払う" not in page
    # The webhook arrives afterwards: recorded, nothing confirmed twice.
    assert held.deliver_all("payment.succeeded") == [200]
    assert _confirmations(booking) == 1
    receipt = client.get(f"/city-a/payments/{payment.public_id}/receipt/").content.decode()
    assert "公共施設の使用料" in receipt and booking.number in receipt
    # The receipt leads back to the booking it paid for, not to the list of applications.
    assert f'href="{response["Location"]}"' in receipt and "/procedures/mine/" not in receipt


def test_a_double_click_opens_the_same_checkout(card_a, room_a, registration_a, held):
    booking = _book(card_a, room_a, registration_a)
    client = _client(registration_a.user)
    assert _start(client, booking) == _start(client, booking)
    (payment,) = _payments(booking)
    assert payment.status == PaymentStatus.PENDING
    page = client.get(_page(booking)).content.decode()
    assert "お支払いの手続き中です" in page and "オンラインで支払う" in page  # the button resumes it


def test_webhook_before_the_return_and_delivered_twice_confirms_once(card_a, room_a, registration_a, held):
    booking = _book(card_a, room_a, registration_a)
    client = _client(registration_a.user)
    back = pay_on_gateway(client, _start(client, booking))
    (event_id,) = held.event_ids("payment.succeeded")
    assert [held.deliver(event_id), held.deliver(event_id)] == [200, 200]
    assert _refresh(booking).status == BookingStatus.CONFIRMED
    response = client.get(back)
    assert response.status_code == 302 and response["Location"] == _page(booking)
    (payment,) = _payments(booking)
    with scopes_disabled():
        assert PaymentEvent.objects.filter(payment=payment, kind=PaymentEvent.Kind.PAID).count() == 1
        assert not PaymentEvent.objects.filter(payment=payment, kind=PaymentEvent.Kind.FULFILMENT_FAILED).exists()
    assert _confirmations(booking) == 1


def test_a_declined_card_then_giving_up_leaves_the_hold_and_says_so(card_a, room_a, registration_a, held):
    booking = _book(card_a, room_a, registration_a)
    client = _client(registration_a.user)
    checkout = _start(client, booking)
    declined = client.post(checkout, {"card_number": "4000 0000 0000 0002", "expiry": "12/40", "cvc": "123"})
    assert declined.status_code == 400 and "カードが承認されませんでした" in declined.content.decode()
    gave_up = client.post(checkout + "cancel/")
    response = client.get(gave_up["Location"], follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == _page(booking)
    assert "お支払いを中止しました。仮予約はそのままです。" in page
    assert "申請はまだ送信されていません" not in page  # the procedures' wording is not used for bookings
    assert "前回のオンラインでのお支払いは中止されました。" in page and "オンラインで支払う" in page
    assert _refresh(booking).status == BookingStatus.PROVISIONAL
    # Paying again starts a fresh checkout, and it confirms.
    back = pay_on_gateway(client, _start(client, booking))
    client.get(back)
    assert _refresh(booking).status == BookingStatus.CONFIRMED
    assert [p.status for p in _payments(booking)] == [PaymentStatus.CANCELLED, PaymentStatus.PAID]


def test_someone_elses_booking_is_404_and_starts_nothing(card_a, room_a, registration_a, held):
    booking = _book(card_a, room_a, registration_a)
    stranger = _client(make_user("stranger@example.jp"))
    assert stranger.post(_page(booking) + "pay/").status_code == 404
    assert stranger.get(_page(booking)).status_code == 404
    assert Client().post(_page(booking) + "pay/").status_code == 302  # anonymous: to the login page
    assert _payments(booking) == []


def test_another_municipalitys_booking_is_404(card_a, city_b, registration_a, held):
    enable_module(city_b, "facilities")
    with municipality_scope(city_b):
        seed_payments(city_b)
    room_b = make_room(make_facility(city_b))
    registration_b = make_registration(city_b, registration_a.user)  # the same person, registered in B too
    booking_b = _book(city_b, room_b, registration_b)
    client = _client(registration_a.user)
    assert client.post(f"/city-a/facilities/mine/bookings/{booking_b.public_id}/pay/").status_code == 404
    assert client.get(f"/city-a/facilities/mine/bookings/{booking_b.public_id}/").status_code == 404
    assert client.post("/city-a/facilities/mine/bookings/not-a-uuid/pay/").status_code == 404
    assert _payments(booking_b) == []


def test_money_after_the_hold_expired_is_kept_and_staff_see_it_needs_a_refund(card_a, room_a, registration_a, held):
    booking = _book(card_a, room_a, registration_a)
    client = _client(registration_a.user)
    back = pay_on_gateway(client, _start(client, booking))
    # The deadline passes and the 仮予約 expires before the return or the webhook reach us.
    with municipality_scope(card_a):
        services.bookings_expire(municipality=card_a, now=booking.payment_due_at + datetime.timedelta(minutes=1))
    assert _refresh(booking).status == BookingStatus.EXPIRED
    client.get(back)
    assert held.deliver_all("payment.succeeded") == [200]
    (payment,) = _payments(booking)
    assert payment.status == PaymentStatus.PAID and payment.receipt_number  # the money is recorded
    with scopes_disabled():
        kinds = list(PaymentEvent.objects.filter(payment=payment).values_list("kind", flat=True))
    assert kinds.count(PaymentEvent.Kind.FULFILMENT_FAILED) == 1  # once, not again for the webhook
    assert _refresh(booking).status == BookingStatus.EXPIRED and _confirmations(booking) == 0
    page = client.get(_page(booking)).content.decode()
    assert "予約は確定していません" in page and "全額を返金します" in page and "<svg" not in page
    staff = staff_client(make_staff(card_a, Role.MUNICIPALITY_ADMIN))
    home = staff.get("/city-a/staff/facilities/").content.decode()
    assert "返金が必要なオンライン決済" in home and payment.receipt_number in home and booking.number in home
    detail = staff.get(f"/city-a/staff/facilities/bookings/{booking.public_id}/").content.decode()
    assert 'data-testid="staff-refund-due"' in detail and f"/city-a/staff/payments/{payment.public_id}/" in detail
    with municipality_scope(card_a):
        payment_services.payment_refund(
            payment=payment, actor=None, amount=payment.amount, reason="期限切れ後の入金", request=None
        )
    home = staff.get("/city-a/staff/facilities/").content.decode()
    assert "返金が必要なオンライン決済" not in home
    assert "予約は確定していません" not in client.get(_page(booking)).content.decode()


def test_an_expired_or_reduction_pending_hold_cannot_start_a_payment(
    card_a, room_a, registration_a, reductions_a, held
):
    client = _client(registration_a.user)
    pending = _book(card_a, room_a, registration_a, reduction=reductions_a[50], reduction_reason="自治会活動")
    page = client.get(_page(pending)).content.decode()
    assert "オンラインで支払う" not in page and "減免を審査しています" in page
    response = client.post(_page(pending) + "pay/", follow=True)
    assert "減免の審査が終わるまでお支払いはできません。" in response.content.decode()
    overdue = _book(card_a, room_a, registration_a, slot_indexes=(2,))
    with scopes_disabled():
        Booking.objects.filter(pk=overdue.pk).update(payment_due_at=timezone.now() - datetime.timedelta(minutes=1))
    response = client.post(_page(overdue) + "pay/", follow=True)
    assert "お支払い期限を過ぎたため" in response.content.decode()
    assert _payments(pending) == [] and _payments(overdue) == []


def test_without_a_card_contract_only_the_counter_is_offered(facilities_a, room_a, registration_a):
    booking = _book(facilities_a, room_a, registration_a)
    client = _client(registration_a.user)
    page = client.get(_page(booking)).content.decode()
    assert "オンラインで支払う" not in page and "お支払いは施設の窓口でできます。" in page
    response = client.post(_page(booking) + "pay/", follow=True)
    assert "オンラインでのお支払いは現在受け付けていません" in response.content.decode()
    assert _payments(booking) == []


@pytest.mark.parametrize(("days", "percent"), [(10, 100), (3, 50)])
def test_cancelling_an_online_paid_booking_refunds_through_the_adapter_by_the_table(
    card_a, room_a, registration_a, held, days, percent
):
    booking = _book(card_a, room_a, registration_a, days=days)
    client = _client(registration_a.user)
    client.get(pay_on_gateway(client, _start(client, booking)))
    assert _refresh(booking).status == BookingStatus.CONFIRMED
    response = client.post(_page(booking) + "cancel/", follow=True)
    page = response.content.decode()
    refund = 1500 * percent // 100
    cancelled = _refresh(booking)
    (payment,) = _payments(booking)
    assert cancelled.status == BookingStatus.CANCELLED and cancelled.refund_amount == refund
    assert payment.refunded_amount == refund
    assert payment.status == (PaymentStatus.REFUNDED if percent == 100 else PaymentStatus.PARTIALLY_REFUNDED)
    with scopes_disabled():
        charge = TestGatewayCharge.objects.get(reference=payment.provider_reference)
    assert charge.refunded_amount == refund  # the provider refunded the card
    assert f"{refund:,}円を返金しました" in page and "カードへの返金を手続きしました" in page
    # The provider's refund webhook changes nothing more.
    assert held.deliver_all("refund.succeeded") == [200]
    with scopes_disabled():
        payment.refresh_from_db()
    assert payment.refunded_amount == refund


def test_a_refused_refund_leaves_the_booking_as_it_was(card_a, room_a, registration_a, held, monkeypatch):
    from madoguchi.payments import testgateway
    from madoguchi.payments.adapters import ProviderError

    booking = _book(card_a, room_a, registration_a)
    client = _client(registration_a.user)
    client.get(pay_on_gateway(client, _start(client, booking)))

    def refuse(**kwargs):
        raise ProviderError("refunds are down")

    monkeypatch.setattr(testgateway, "refund_charge", refuse)
    page = client.post(_page(booking) + "cancel/", follow=True).content.decode()
    assert "決済サービスが返金を受け付けませんでした" in page
    assert _refresh(booking).status == BookingStatus.CONFIRMED
    (payment,) = _payments(booking)
    assert payment.status == PaymentStatus.PAID and payment.refunded_amount == 0


def test_counter_payment_closes_the_open_checkout_and_counter_refunds_stay_with_staff(
    card_a, room_a, registration_a, held
):
    booking = _book(card_a, room_a, registration_a)
    client = _client(registration_a.user)
    checkout = _start(client, booking)
    with municipality_scope(card_a):
        services.booking_record_counter_payment(booking, actor=None, request=None)
    (payment,) = _payments(booking)
    assert payment.status == PaymentStatus.CANCELLED
    with scopes_disabled():
        assert TestGatewayCharge.objects.get(reference=payment.provider_reference).status == "canceled"
    assert (
        client.post(checkout, {"card_number": "4242 4242 4242 4242", "expiry": "12/40", "cvc": "123"}).status_code
        != 302
    )
    client.post(_page(booking) + "cancel/")
    cancelled = _refresh(booking)
    assert cancelled.status == BookingStatus.CANCELLED and cancelled.refund_amount == 1500
    assert payment.refunded_amount == 0 and len(_payments(booking)) == 1  # paid back at the counter


def test_the_expiry_task_closes_the_checkout_of_an_overdue_hold(card_a, room_a, registration_a, held):
    booking = _book(card_a, room_a, registration_a)
    client = _client(registration_a.user)
    _start(client, booking)
    with scopes_disabled():
        Booking.objects.filter(pk=booking.pk).update(payment_due_at=timezone.now() - datetime.timedelta(minutes=1))
    result = expire_provisional_bookings.call(card_a.pk)
    assert result == {"expired": 1, "checkouts_closed": 1}
    (payment,) = _payments(booking)
    assert payment.status == PaymentStatus.CANCELLED and _refresh(booking).status == BookingStatus.EXPIRED


def test_a_lottery_winner_pays_the_same_way(card_a, room_a, registration_a, held):
    from tests.lottery.conftest import close_and_draw, enter, make_round, offers_of

    enable_module(card_a, "lottery")
    lottery = make_round(room_a.facility, [room_a], days=2)
    offers = offers_of(lottery)
    enter(lottery, registration_a, [offers[0]])
    close_and_draw(lottery)
    with scopes_disabled():
        booking = Booking.objects.get(registration=registration_a, source=BookingSource.LOTTERY)
    assert booking.status == BookingStatus.PROVISIONAL
    client = _client(registration_a.user)
    client.get(pay_on_gateway(client, _start(client, booking)))
    assert _refresh(booking).status == BookingStatus.CONFIRMED


def test_the_api_starts_the_payment_idempotently(card_a, room_a, registration_a, held):
    booking = _book(card_a, room_a, registration_a)
    client = _client(registration_a.user)
    url = f"/api/v1/municipalities/city-a/facilities/bookings/{booking.public_id}/payment"
    first = client.post(url)
    again = client.post(url)
    assert first.status_code == 200 and again.status_code == 200
    body = first.json()
    assert body["id"] == again.json()["id"] and body["status"] == "pending" and body["amount"] == 1500
    assert body["redirect_url"].startswith("/payments/test-gateway/checkout/")
    client.get(pay_on_gateway(client, body["redirect_url"]))
    paid = client.post(url).json()
    assert paid["status"] == "paid" and paid["receipt_number"] and paid["redirect_url"] == ""
    detail = client.get(f"/api/v1/municipalities/city-a/facilities/bookings/{booking.public_id}").json()
    assert detail["status"] == "confirmed"
    stranger = _client(make_user("other@example.jp"))
    refused = stranger.post(url)
    assert refused.status_code == 404 and refused.json()["error"]["code"]
    assert Client().post(url).status_code == 401
    cancelled = _book(card_a, room_a, registration_a, slot_indexes=(2,))
    client.post(f"/api/v1/municipalities/city-a/facilities/bookings/{cancelled.public_id}/cancel")
    conflict = client.post(f"/api/v1/municipalities/city-a/facilities/bookings/{cancelled.public_id}/payment")
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "not_payable"
    english = client.post(
        f"/api/v1/municipalities/city-a/facilities/bookings/{cancelled.public_id}/payment",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "payment" in english.json()["error"]["message"].lower()


def _page_queries(client: Client, booking: Booking) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(_page(booking)).status_code == 200
    return len(captured)


def test_the_booking_page_costs_the_same_queries_whatever_the_booking_holds(
    card_a, room_a, facility_a, registration_a, held
):
    client = _client(registration_a.user)
    small = _book(card_a, room_a, registration_a, slot_indexes=(0,))
    with municipality_scope(card_a):
        extras = [
            Equipment.objects.create(municipality=card_a, facility=facility_a, name=f"設備{n}", fee=100)
            for n in range(3)
        ]
    large = _book(card_a, room_a, registration_a, days=12, slot_indexes=(0, 1, 2), equipment=extras)
    for booking in (small, large):
        client.get(pay_on_gateway(client, _start(client, booking)))
    client.get(_page(small))  # warm per-process caches (holidays, the municipality's settings)
    assert _page_queries(client, small) == _page_queries(client, large)


def test_the_payment_reads_in_english(card_a, room_a, registration_a, held):
    booking = _book(card_a, room_a, registration_a)
    client = _client(registration_a.user)
    page = client.get(_page(booking) + "?lang=en").content.decode()
    assert "Pay online" in page and "You can pay ¥1,500 by credit card." in page
    _start(client, booking)
    (payment,) = _payments(booking)
    (line,) = payment.lines
    assert line["label"].startswith("使用料（中央公民館 第1会議室") and line["label"].endswith("午後）")
    assert line["label_en"].startswith("Facility fee (Central Community Centre") and line["label_en"].endswith(
        "Afternoon)"
    )
