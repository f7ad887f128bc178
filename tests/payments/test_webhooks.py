"""Webhook security: signature over timestamp + raw body, 5-minute tolerance, unknown payments, mismatches."""

from __future__ import annotations

import json
import time

import pytest
from django_scopes import scopes_disabled

from madoguchi.payments import signing, testgateway
from madoguchi.payments.models import Payment, PaymentEvent, PaymentStatus
from madoguchi.procedures.models import Submission, SubmissionStatus

from .conftest import choose_card, draft_id_of, pay_on_gateway, post_webhook, resident_client, walk_to_check

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_at_gateway(juminhyo_a, held_webhooks):
    """A card payment paid at the gateway whose webhook has not arrived (and no return either)."""
    client, _resident = resident_client()
    check_url = walk_to_check(client)
    pay_on_gateway(client, choose_card(client, check_url))
    (event_id,) = held_webhooks.event_ids("payment.succeeded")
    with scopes_disabled():
        payment = Payment.objects.get(object_id=draft_id_of(check_url))
    return payment, event_id


def _unchanged(payment: Payment) -> bool:
    with scopes_disabled():
        fresh = Payment.objects.get(pk=payment.pk)
        submission = Submission.objects.get(public_id=payment.object_id)
        webhooks = PaymentEvent.objects.filter(payment=payment, kind="webhook").count()
    return fresh.status == PaymentStatus.PENDING and submission.status == SubmissionStatus.DRAFT and webhooks == 0


def test_a_correctly_signed_webhook_pays_and_submits(paid_at_gateway):
    payment, event_id = paid_at_gateway
    account, headers, body = testgateway.signed_delivery(event_id)
    assert post_webhook(account, headers, body) == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "t=abc,v1=deadbeef",
        "v1=deadbeef",
        "t=1700000000",
        "t=" + "9" * 2000 + ",v1=00",
    ],
    ids=["missing", "empty", "bad-timestamp", "no-timestamp", "no-signature", "oversized"],
)
def test_missing_or_malformed_signatures_are_refused(paid_at_gateway, header):
    payment, event_id = paid_at_gateway
    account, _headers, body = testgateway.signed_delivery(event_id)
    headers = {} if header is None else {signing.WEBHOOK_HEADER: header}
    assert post_webhook(account, headers, body) == 400
    assert _unchanged(payment)


def test_a_signature_with_another_secret_is_refused(paid_at_gateway):
    payment, event_id = paid_at_gateway
    account, _headers, body = testgateway.signed_delivery(event_id)
    forged = {signing.WEBHOOK_HEADER: signing.sign_webhook("not-the-secret", body)}
    assert post_webhook(account, forged, body) == 400
    assert _unchanged(payment)


def test_a_changed_body_breaks_the_signature(paid_at_gateway):
    payment, event_id = paid_at_gateway
    account, headers, body = testgateway.signed_delivery(event_id)
    tampered = body.replace(b'"amount":600', b'"amount":6')
    assert tampered != body
    assert post_webhook(account, headers, tampered) == 400
    assert _unchanged(payment)


@pytest.mark.parametrize("offset", [-301, 301])
def test_a_stale_or_future_timestamp_is_refused(paid_at_gateway, offset):
    payment, event_id = paid_at_gateway
    account, _headers, body = testgateway.signed_delivery(event_id)
    stale = {
        signing.WEBHOOK_HEADER: signing.sign_webhook(account.webhook_secret, body, timestamp=int(time.time()) + offset)
    }
    assert post_webhook(account, stale, body) == 400
    assert _unchanged(payment)


def test_within_the_tolerance_is_accepted(paid_at_gateway):
    payment, event_id = paid_at_gateway
    account, _headers, body = testgateway.signed_delivery(event_id)
    late = {
        signing.WEBHOOK_HEADER: signing.sign_webhook(account.webhook_secret, body, timestamp=int(time.time()) - 250)
    }
    assert post_webhook(account, late, body) == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID


def test_a_rotated_secret_can_be_sent_alongside_the_old_one(paid_at_gateway):
    """Several v1 signatures (the provider rolling its secret): one valid one is enough."""
    payment, event_id = paid_at_gateway
    account, headers, body = testgateway.signed_delivery(event_id)
    header = headers[signing.WEBHOOK_HEADER]
    stamp, valid = header.split(",")
    combined = {signing.WEBHOOK_HEADER: f"{stamp},v1={'0' * 64},{valid}"}
    assert post_webhook(account, combined, body) == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID


def _signed(account, payload: dict) -> tuple[dict, bytes]:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return {signing.WEBHOOK_HEADER: signing.sign_webhook(account.webhook_secret, body)}, body


def test_an_unknown_payment_is_404_and_records_nothing(paid_at_gateway):
    payment, event_id = paid_at_gateway
    account, _headers, _body = testgateway.signed_delivery(event_id)
    headers, body = _signed(
        account,
        {
            "id": "evt_unknown",
            "type": "payment.succeeded",
            "created": int(time.time()),
            "data": {"reference": "tg_ch_nobody", "status": "succeeded", "amount": 600, "currency": "JPY"},
        },
    )
    assert post_webhook(account, headers, body) == 404
    with scopes_disabled():
        assert not PaymentEvent.objects.filter(provider_event_id="evt_unknown").exists()
    assert _unchanged(payment)


def test_an_amount_mismatch_is_recorded_and_never_paid(paid_at_gateway):
    payment, event_id = paid_at_gateway
    account, _headers, _body = testgateway.signed_delivery(event_id)
    headers, body = _signed(
        account,
        {
            "id": "evt_cheap",
            "type": "payment.succeeded",
            "created": int(time.time()),
            "data": {
                "reference": payment.provider_reference,
                "status": "succeeded",
                "amount": 1,
                "currency": "JPY",
                "client_reference": str(payment.public_id),
            },
        },
    )
    assert post_webhook(account, headers, body) == 422
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    with scopes_disabled():
        assert PaymentEvent.objects.filter(payment=payment, kind="mismatch", amount=1).count() == 1
        assert Submission.objects.get(public_id=payment.object_id).status == SubmissionStatus.DRAFT


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'{"id":"x"}',
        b'{"id":"x","type":"payment.stolen","data":{}}',
        b'{"id":"x","type":"payment.succeeded","data":{"reference":"r","status":"succeeded","amount":"lots"}}',
    ],
    ids=["empty", "not-json", "list", "no-type", "unknown-type", "bad-amount"],
)
def test_malformed_bodies_with_valid_signatures_are_refused(paid_at_gateway, body):
    payment, event_id = paid_at_gateway
    account, _headers, _body = testgateway.signed_delivery(event_id)
    headers = {signing.WEBHOOK_HEADER: signing.sign_webhook(account.webhook_secret, body)}
    assert post_webhook(account, headers, body) == 400
    assert _unchanged(payment)


def test_unknown_accounts_adapters_and_methods(paid_at_gateway, client):
    payment, event_id = paid_at_gateway
    account, headers, body = testgateway.signed_delivery(event_id)
    extra = {"HTTP_MADOGUCHI_SIGNATURE": headers[signing.WEBHOOK_HEADER]}
    assert (
        client.post(
            "/payments/webhooks/test_gateway/not-a-uuid/", body, content_type="application/json", **extra
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/payments/webhooks/counter/{account.public_id}/", body, content_type="application/json", **extra
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/payments/webhooks/nope/{account.public_id}/", body, content_type="application/json", **extra
        ).status_code
        == 404
    )
    assert client.get(f"/payments/webhooks/test_gateway/{account.public_id}/").status_code == 405
    huge = b"{" + b" " * (70 * 1024) + b"}"
    response = client.post(
        f"/payments/webhooks/test_gateway/{account.public_id}/", huge, content_type="application/json"
    )
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"
    assert _unchanged(payment)


def test_another_municipalitys_account_cannot_pay_this_payment(paid_at_gateway, juminhyo_b):
    """City B's (valid) signature on an event naming city A's transaction: unknown there, so 404."""
    payment, event_id = paid_at_gateway
    _account, _headers, body = testgateway.signed_delivery(event_id)
    from madoguchi.payments.models import PaymentAccount

    with scopes_disabled():
        account_b = PaymentAccount.objects.get(municipality=juminhyo_b.municipality)
    headers = {signing.WEBHOOK_HEADER: signing.sign_webhook(account_b.webhook_secret, body)}
    assert post_webhook(account_b, headers, body) == 404
    assert _unchanged(payment)


def test_verify_rejects_with_specific_codes():
    body = b'{"a":1}'
    now = 1_800_000_000
    good = signing.sign_webhook("s", body, timestamp=now)
    assert signing.verify_webhook("s", good, body, now=now) == now
    for header, code in [(None, "missing"), ("t=x", "malformed"), (good, "mismatch")]:
        with pytest.raises(signing.SignatureError) as caught:
            signing.verify_webhook("other" if code == "mismatch" else "s", header, body, now=now)
        assert caught.value.code == code
    with pytest.raises(signing.SignatureError) as caught:
        signing.verify_webhook("s", good, body, now=now + 301)
    assert caught.value.code == "stale"
