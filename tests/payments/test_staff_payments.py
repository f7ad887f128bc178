"""Staff: payment status on the inbox and the application, 窓口 receipt, refunds, and who may do them."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django_scopes import scopes_disabled

from madoguchi.accounts.models import Role
from madoguchi.audit.models import AuditEvent
from madoguchi.core.errors import ServiceError
from madoguchi.core.models import Department
from madoguchi.core.tenancy import municipality_scope
from madoguchi.payments import services
from madoguchi.payments.models import Payment, PaymentEvent, PaymentEventIsAppendOnly, PaymentStatus, TestGatewayCharge
from madoguchi.procedures.models import Submission

from ..factories import make_department, make_staff, staff_client
from .conftest import choose_card, draft_id_of, pay_on_gateway, resident_client, walk_to_check

pytestmark = pytest.mark.django_db


def _apply(method: str) -> Payment:
    client, _resident = resident_client()
    check_url = walk_to_check(client)
    if method == "card":
        client.get(pay_on_gateway(client, choose_card(client, check_url)))
    else:
        assert client.post(check_url, {"method": "counter"}).status_code == 302
    with scopes_disabled():
        return Payment.objects.select_related("municipality").get(object_id=draft_id_of(check_url))


def _shimin(municipality) -> Department:
    with scopes_disabled():
        return Department.objects.get(municipality=municipality, slug="shimin")


@pytest.fixture
def counter_payment(juminhyo_a) -> Payment:
    return _apply("counter")


@pytest.fixture
def card_payment(juminhyo_a) -> Payment:
    return _apply("card")


def test_counter_staff_record_the_payment_and_a_receipt_is_issued(
    city_a, counter_payment, django_capture_on_commit_callbacks
):
    from django.core import mail

    staff = staff_client(make_staff(city_a, Role.COUNTER_STAFF))
    url = f"/city-a/staff/payments/{counter_payment.public_id}/counter/"
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(url)
    assert response.status_code == 302
    counter_payment.refresh_from_db()
    assert counter_payment.status == PaymentStatus.PAID and counter_payment.receipt_number.endswith("-P000001")
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="payment.paid", object_id=str(counter_payment.public_id)).count() == 1
        assert PaymentEvent.objects.filter(payment=counter_payment, kind="counter_paid").count() == 1
    assert any(counter_payment.receipt_number in message.body for message in mail.outbox)
    # Recording again is refused with the receipt number, nothing doubles.
    staff.post(url)
    with scopes_disabled():
        assert PaymentEvent.objects.filter(payment=counter_payment, kind="counter_paid").count() == 1
    detail = staff.get(f"/city-a/staff/payments/{counter_payment.public_id}/").content.decode()
    assert "すでに受領済み" in detail and counter_payment.receipt_number in detail


@pytest.mark.parametrize("role", [Role.AUDITOR])
def test_staff_without_the_permission_get_403(city_a, counter_payment, role):
    staff = staff_client(make_staff(city_a, role))
    response = staff.post(f"/city-a/staff/payments/{counter_payment.public_id}/counter/")
    assert response.status_code == 403
    assert staff.get("/city-a/staff/payments/").status_code == 403
    counter_payment.refresh_from_db()
    assert counter_payment.status == PaymentStatus.PENDING


def test_another_municipalitys_staff_and_ids_are_404(city_a, city_b, counter_payment):
    outsider = staff_client(make_staff(city_b, Role.COUNTER_STAFF))
    assert outsider.post(f"/city-a/staff/payments/{counter_payment.public_id}/counter/").status_code == 404
    assert outsider.post(f"/city-b/staff/payments/{counter_payment.public_id}/counter/").status_code == 404
    assert outsider.get(f"/city-b/staff/payments/{counter_payment.public_id}/").status_code == 404
    counter_payment.refresh_from_db()
    assert counter_payment.status == PaymentStatus.PENDING


def test_counter_staff_find_the_payment_by_the_application_number(city_a, counter_payment):
    with scopes_disabled():
        receipt_number = Submission.objects.get(public_id=counter_payment.object_id).receipt_number
    staff = staff_client(make_staff(city_a, Role.COUNTER_STAFF))
    found = staff.get("/city-a/staff/payments/", {"q": receipt_number}).content.decode()
    assert f"/city-a/staff/payments/{counter_payment.public_id}/" in found
    none = staff.get("/city-a/staff/payments/", {"q": "XX-R8-999999"}).content.decode()
    assert f"/city-a/staff/payments/{counter_payment.public_id}/" not in none
    assert "条件に合うお支払いはありません" in none


def test_department_staff_see_only_their_departments_payments(city_a, counter_payment):
    own = staff_client(make_staff(city_a, Role.DEPARTMENT_STAFF, department=_shimin(city_a)))
    other = staff_client(
        make_staff(city_a, Role.DEPARTMENT_STAFF, department=make_department(city_a, slug="zeimu", name="税務課"))
    )
    assert own.get(f"/city-a/staff/payments/{counter_payment.public_id}/").status_code == 200
    assert other.get(f"/city-a/staff/payments/{counter_payment.public_id}/").status_code == 404
    assert other.post(f"/city-a/staff/payments/{counter_payment.public_id}/counter/").status_code == 404
    assert str(counter_payment.public_id) not in other.get("/city-a/staff/payments/").content.decode()


def test_the_inbox_and_the_application_show_the_payment(city_a, counter_payment):
    staff = staff_client(make_staff(city_a, Role.DEPARTMENT_STAFF, department=_shimin(city_a)))
    inbox = staff.get("/city-a/staff/procedures/inbox/").content.decode()
    assert "支払い待ち（窓口払い）" in inbox
    detail = staff.get(f"/city-a/staff/procedures/inbox/{counter_payment.object_id}/").content.decode()
    assert f"/city-a/staff/payments/{counter_payment.public_id}/counter/" in detail
    back = staff.post(
        f"/city-a/staff/payments/{counter_payment.public_id}/counter/",
        {"next": f"/city-a/staff/procedures/inbox/{counter_payment.object_id}/"},
    )
    assert back["Location"] == f"/city-a/staff/procedures/inbox/{counter_payment.object_id}/"
    assert "支払い済み（窓口払い）" in staff.get("/city-a/staff/procedures/inbox/").content.decode()
    # "next" never sends anywhere else.
    elsewhere = staff.post(
        f"/city-a/staff/payments/{counter_payment.public_id}/counter/", {"next": "https://evil.example/"}
    )
    assert elsewhere["Location"] == f"/city-a/staff/payments/{counter_payment.public_id}/"


def test_refunds_full_or_partial_within_limits(city_a, card_payment):
    staff = staff_client(make_staff(city_a, Role.MUNICIPALITY_ADMIN))
    url = f"/city-a/staff/payments/{card_payment.public_id}/refund/"
    too_much = staff.post(url, {"amount": "700", "reason": "却下のため"})
    assert (
        too_much.status_code == 400
        and "600円" in too_much.content.decode()
        and 'value="700"' in too_much.content.decode()
    )
    for amount, message in [("0", "1円以上"), ("abc", "半角数字"), ("-5", "1円以上"), ("9" * 30, "大きすぎます")]:
        response = staff.post(url, {"amount": amount, "reason": "理由"})
        assert response.status_code == 400 and message in response.content.decode(), amount
    no_reason = staff.post(url, {"amount": "100", "reason": ""})
    assert no_reason.status_code == 400 and "返金の理由を入力してください" in no_reason.content.decode()
    assert staff.post(url, {"amount": "２００", "reason": "一部却下"}).status_code == 302  # full-width digits
    card_payment.refresh_from_db()
    assert card_payment.status == PaymentStatus.PARTIALLY_REFUNDED and card_payment.refunded_amount == 200
    assert staff.post(url, {"amount": "400", "reason": "却下"}).status_code == 302
    card_payment.refresh_from_db()
    assert card_payment.status == PaymentStatus.REFUNDED and card_payment.refunded_amount == 600
    assert TestGatewayCharge.objects.get(reference=card_payment.provider_reference).refunded_amount == 600
    again = staff.post(url, {"amount": "1", "reason": "再度"})
    assert again.status_code == 400
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="payment.refunded").count() == 2


def test_refund_refuses_an_unpaid_payment(city_a, counter_payment):
    with municipality_scope(city_a), pytest.raises(ServiceError) as caught:
        services.payment_refund(payment=counter_payment, actor=None, amount=100, reason="x", request=None)
    assert caught.value.code == "not_refundable"


def test_the_database_refuses_impossible_payments(city_a, card_payment):
    with scopes_disabled():
        for change in [
            {"refunded_amount": 601, "status": PaymentStatus.PARTIALLY_REFUNDED},
            {"status": "stolen"},
            {"paid_at": None},
            {"amount": -1},
            {"status": PaymentStatus.REFUNDED, "refunded_amount": 100},
            {"receipt_number": ""},
        ]:
            with pytest.raises(IntegrityError), transaction.atomic():
                Payment.objects.filter(pk=card_payment.pk).update(**change)
        with pytest.raises(IntegrityError), transaction.atomic():
            Payment.objects.create(
                municipality=city_a,
                purpose=card_payment.purpose,
                object_id=card_payment.object_id,
                amount=600,
                method="counter",
                adapter="counter",
            )
        event = PaymentEvent.objects.filter(payment=card_payment).first()
        with pytest.raises(PaymentEventIsAppendOnly):
            event.save()
        with pytest.raises(PaymentEventIsAppendOnly):
            PaymentEvent.objects.filter(payment=card_payment).update(kind="paid")
        with pytest.raises(PaymentEventIsAppendOnly):
            PaymentEvent.objects.filter(payment=card_payment).delete()


def test_reconcile_finds_a_mismatch(city_a, card_payment):
    start, end = card_payment.created_at.replace(year=2000), card_payment.created_at.replace(year=2100)
    with municipality_scope(city_a):
        assert services.payments_reconcile(municipality=city_a, start=start, end=end) == []
    # Someone refunded in the provider's dashboard, and a charge exists that we never recorded.
    TestGatewayCharge.objects.filter(reference=card_payment.provider_reference).update(refunded_amount=100)
    TestGatewayCharge.objects.create(
        reference="tg_ch_orphan",
        merchant_id=f"demo-{city_a.slug}",
        amount=300,
        client_reference="x",
        success_url="/",
        cancel_url="/",
        status="succeeded",
    )
    with municipality_scope(city_a):
        found = services.payments_reconcile(municipality=city_a, start=start, end=end)
    assert sorted((item.kind, item.reference) for item in found) == [
        ("missing_here", "tg_ch_orphan"),
        ("refund_differs", card_payment.provider_reference),
    ]
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command(
            "payments_reconcile",
            "--municipality",
            "city-a",
            "--from",
            "2000-01-01",
            "--to",
            "2100-01-01",
            "--fail-on-mismatch",
            stdout=out,
        )
    assert exited.value.code == 1
    assert (
        "refund_differs" in out.getvalue() and "missing_here" in out.getvalue() and "2 mismatch(es)" in out.getvalue()
    )
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="payment.reconciled").count() == 3  # two calls, one command


def test_reconcile_finds_a_payment_paid_only_at_the_provider(juminhyo_a, city_a, held_webhooks):
    client, _resident = resident_client()
    check_url = walk_to_check(client)
    pay_on_gateway(client, choose_card(client, check_url))  # neither the return nor the webhook arrived
    with scopes_disabled():
        payment = Payment.objects.get(object_id=draft_id_of(check_url))
    with municipality_scope(city_a):
        found = services.payments_reconcile(
            municipality=city_a, start=payment.created_at.replace(year=2000), end=payment.created_at.replace(year=2100)
        )
    assert [(item.kind, item.payment) for item in found] == [("not_paid_here", str(payment.public_id))]


def test_fulfilment_failure_keeps_the_money_recorded(juminhyo_a, city_a, held_webhooks, monkeypatch):
    """If submitting the paid draft fails, the payment stays paid; the resident then submits from the check page."""
    from madoguchi.procedures import journey

    client, _resident = resident_client()
    check_url = walk_to_check(client)
    back = pay_on_gateway(client, choose_card(client, check_url))
    real = journey.draft_submit

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(journey, "draft_submit", broken)
    client.get(back)
    with scopes_disabled():
        payment = Payment.objects.get(object_id=draft_id_of(check_url))
        assert payment.status == PaymentStatus.PAID
        assert PaymentEvent.objects.filter(payment=payment, kind="fulfilment_failed").count() == 1
        assert Submission.objects.get(public_id=payment.object_id).status == "draft"
    monkeypatch.setattr(journey, "draft_submit", real)
    page = client.get(check_url).content.decode()
    assert payment.receipt_number in page and "お支払い済み" in page
    assert client.post(check_url).status_code == 302
    with scopes_disabled():
        assert Submission.objects.get(public_id=payment.object_id).status == "submitted"
        assert Payment.objects.filter(object_id=payment.object_id).count() == 1


def test_pending_online_payments_expire_and_counter_payments_do_not(juminhyo_a, city_a, held_webhooks):
    import datetime

    card_client, _resident = resident_client("expire-card@example.jp")
    check_url = walk_to_check(card_client)
    choose_card(card_client, check_url)
    counter = _apply("counter")
    with scopes_disabled():
        card = Payment.objects.get(object_id=draft_id_of(check_url))
        Payment.objects.filter(pk__in=[card.pk, counter.pk]).update(
            created_at=card.created_at - datetime.timedelta(hours=25)
        )
    out = io.StringIO()
    call_command("payments_expire", "--hours", "24", stdout=out)
    assert "1 payment(s) expired." in out.getvalue()
    card.refresh_from_db()
    counter.refresh_from_db()
    assert card.status == PaymentStatus.EXPIRED and counter.status == PaymentStatus.PENDING
    assert TestGatewayCharge.objects.get(reference=card.provider_reference).status == "canceled"
    # The resident starts again: a new payment for the same draft.
    card_client.get(pay_on_gateway(card_client, choose_card(card_client, check_url)))
    with scopes_disabled():
        statuses = sorted(Payment.objects.filter(object_id=card.object_id).values_list("status", flat=True))
    assert statuses == [PaymentStatus.EXPIRED, PaymentStatus.PAID]


def test_the_daily_maintenance_expires_abandoned_checkouts(juminhyo_a, city_a, held_webhooks, settings):
    import datetime

    from madoguchi.core.maintenance import daily_maintenance

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    card_client, _resident = resident_client("expire-daily@example.jp")
    check_url = walk_to_check(card_client)
    choose_card(card_client, check_url)
    with scopes_disabled():
        card = Payment.objects.get(object_id=draft_id_of(check_url))
    daily_maintenance.call()
    card.refresh_from_db()
    assert card.status == PaymentStatus.PENDING  # not yet PAYMENTS_PENDING_EXPIRY_HOURS old
    with scopes_disabled():
        Payment.objects.filter(pk=card.pk).update(created_at=card.created_at - datetime.timedelta(hours=25))
    daily_maintenance.call()
    card.refresh_from_db()
    assert card.status == PaymentStatus.EXPIRED
