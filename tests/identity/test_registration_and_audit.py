"""The e-mail step of a first sign-in, and what the audit log says (and never says) about sign-ins."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from madoguchi.audit.models import AuditEvent
from madoguchi.identity.services import SESSION_PENDING

from .conftest import BASIC_FOUR

pytestmark = pytest.mark.django_db
User = get_user_model()


def send_code(client, django_capture_on_commit_callbacks, email="new@example.jp") -> str:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/city-a/auth/register/", {"email": email})
    assert response.status_code == 302
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def test_register_pages_without_a_verified_identity_explain_and_refuse(client, city_a):
    assert client.get("/city-a/auth/register/").status_code == 400
    response = client.post("/city-a/auth/register/confirm/", {"code": "123456"})
    assert response.status_code == 400
    assert "最初からやり直してください" in response.content.decode()
    assert User.objects.count() == 0


def test_pending_identity_of_one_municipality_is_not_usable_under_another(journey, provider, city_b):
    journey.sign_in()
    assert journey.client.get("/city-a/auth/register/").status_code == 200
    assert journey.client.get("/city-b/auth/register/").status_code == 400


def test_invalid_email_is_explained_at_the_field(journey, provider):
    journey.sign_in()

    response = journey.client.post("/city-a/auth/register/", {"email": "not-an-address"})

    assert response.status_code == 200
    assert "メールアドレスの形式が正しくありません" in response.content.decode()
    assert mail.outbox == []


def test_wrong_code_is_refused_and_five_wrong_codes_end_the_attempt(
    journey, provider, django_capture_on_commit_callbacks
):
    journey.sign_in()
    code = send_code(journey.client, django_capture_on_commit_callbacks)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    for _ in range(4):
        response = journey.client.post("/city-a/auth/register/confirm/", {"code": wrong})
        assert response.status_code == 200
        assert "確認コードが正しくありません" in response.content.decode()
    last = journey.client.post("/city-a/auth/register/confirm/", {"code": wrong})

    assert last.status_code == 400 and "手続きを中止しました" in last.content.decode()
    assert SESSION_PENDING not in journey.client.session
    # Even the right code is useless now.
    assert journey.client.post("/city-a/auth/register/confirm/", {"code": code}).status_code == 400
    assert User.objects.count() == 0


def test_expired_code_is_refused(journey, provider, django_capture_on_commit_callbacks):
    journey.sign_in()
    code = send_code(journey.client, django_capture_on_commit_callbacks)
    session = journey.client.session
    pending = session[SESSION_PENDING]
    pending["code_created"] -= 10 * 60 + 1
    session[SESSION_PENDING] = pending
    session.save()

    response = journey.client.post("/city-a/auth/register/confirm/", {"code": code})

    assert response.status_code == 200 and "有効期限（10分）が切れました" in response.content.decode()
    assert User.objects.count() == 0


def test_only_three_codes_can_be_sent(journey, provider, django_capture_on_commit_callbacks):
    journey.sign_in()
    for _ in range(3):
        send_code(journey.client, django_capture_on_commit_callbacks)

    response = journey.client.post("/city-a/auth/register/", {"email": "new@example.jp"})

    assert response.status_code == 200 and "送信回数が上限に達しました" in response.content.decode()
    assert len(mail.outbox) == 3


def test_code_is_bound_to_the_address_it_was_sent_to(
    journey, provider, django_capture_on_commit_callbacks, monkeypatch
):
    codes = iter([111111, 222222])
    monkeypatch.setattr("madoguchi.identity.services.secrets.randbelow", lambda _n: next(codes))
    journey.sign_in()
    first = send_code(journey.client, django_capture_on_commit_callbacks, "first@example.jp")
    second = send_code(journey.client, django_capture_on_commit_callbacks, "second@example.jp")
    assert (first, second) == ("111111", "222222")

    response = journey.client.post("/city-a/auth/register/confirm/", {"code": first})

    assert "確認コードが正しくありません" in response.content.decode()
    assert User.objects.count() == 0
    assert journey.client.post("/city-a/auth/register/confirm/", {"code": second}).status_code == 302
    assert User.objects.get().email == "second@example.jp"


def test_audit_log_records_sign_ins_and_failures_without_secrets_or_personal_data(
    journey, provider, fake_op, django_capture_on_commit_callbacks
):
    # First sign-in with the e-mail step, a second sign-in, then one refused attempt.
    journey.sign_in()
    code = send_code(journey.client, django_capture_on_commit_callbacks, "audit@example.jp")
    assert journey.client.post("/city-a/auth/register/confirm/", {"code": code}).status_code == 302
    journey.client.logout()
    assert journey.sign_in().status_code == 302
    fake_op.set_tamper("wrong_nonce")
    assert journey.sign_in().status_code == 400

    events = list(AuditEvent.objects.order_by("id"))
    actions = [e.action for e in events]
    for expected in (
        "identity.registration_started",
        "identity.registration_code_sent",
        "account.signed_up",
        "identity.linked",
        "profile.updated",
        "identity.oidc_login",
        "account.signed_in",
        "identity.oidc_failed",
    ):
        assert expected in actions, expected
    logins = [e for e in events if e.action == "identity.oidc_login"]
    assert [e.details["how"] for e in logins] == ["new_account", "existing_identity"]
    assert all(e.municipality_id == provider.municipality_id for e in logins)
    assert logins[0].actor.email == "audit@example.jp"
    failed = [e for e in events if e.action == "identity.oidc_failed"]
    assert [e.details for e in failed] == [{"provider": "myna", "reason": "id_token_nonce"}]

    logged = json.dumps([[e.action, e.object_id, e.details] for e in events], ensure_ascii=False)
    secrets_seen = [*fake_op.state.issued_secrets, code, "subject-0001"]
    for request in fake_op.state.authorize_requests:
        secrets_seen += [request["state"], request["nonce"], request["code_challenge"]]
    assert len(secrets_seen) > 10
    for value in secrets_seen:
        assert value not in logged
    for claim_value in ("窓口", "花子", "南砺市", "荒木", "1990-04-01", BASIC_FOUR["address"]):
        assert claim_value not in logged
