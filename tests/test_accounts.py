"""Sign-up, e-mail verification, sign-in, throttling, staff MFA and the resident profile, through HTTP."""

import re

import pyotp
import pytest
from django.conf import settings
from django.core import mail
from django.test import Client, override_settings

from madoguchi.accounts.models import RecoveryCode, Role, TOTPDevice, User
from madoguchi.audit.models import AuditEvent

from .factories import PASSWORD, TEST_TOTP_SECRET, make_staff, make_user, totp_now

pytestmark = pytest.mark.django_db
# E-mails are queued on commit; these tests need real commits to see them.
mail_test = pytest.mark.django_db(transaction=True)


def _signup(client, email="new.resident@example.jp", password=PASSWORD, confirm=None, **extra):
    data = {
        "email": email,
        "password1": password,
        "password2": confirm or password,
        "preferred_language": "ja",
        "agree_terms": "on",
    }
    data.update(extra)
    return client.post("/accounts/signup/", data)


def _link_from_last_mail(pattern=r"https?://\S+/accounts/verify/\S+/"):
    match = re.search(pattern, mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(0)


@mail_test
def test_signup_sends_verification_then_verify_then_login(client):
    response = _signup(client)
    assert response.status_code == 302 and response["Location"] == "/accounts/signup/done/"
    user = User.objects.get(email="new.resident@example.jp")
    assert user.email_verified_at is None
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new.resident@example.jp"]

    # Before verification, the right password is not enough.
    refused = client.post("/accounts/login/", {"email": "new.resident@example.jp", "password": PASSWORD})
    assert refused.status_code == 200
    assert "メールアドレスの確認が済んでいません" in refused.content.decode()

    link = _link_from_last_mail()
    path = link.split("testserver", 1)[1]
    assert client.get(path).status_code == 200  # GET only shows the button (mail scanners prefetch links)
    user.refresh_from_db()
    assert user.email_verified_at is None
    assert client.post(path).status_code == 302
    user.refresh_from_db()
    assert user.email_verified_at is not None

    signed_in = client.post("/accounts/login/", {"email": "NEW.Resident@example.jp", "password": PASSWORD})
    assert signed_in.status_code == 302
    assert client.get("/accounts/profile/").status_code == 200
    assert AuditEvent.objects.filter(action="account.signed_in", actor=user).exists()


@mail_test
def test_signup_with_a_registered_address_reveals_nothing(client):
    make_user("taken@example.jp")
    response = _signup(client, email="taken@example.jp")
    assert response.status_code == 302 and response["Location"] == "/accounts/signup/done/"
    assert User.objects.filter(email="taken@example.jp").count() == 1
    # The owner is told by e-mail instead of the page.
    assert "すでにアカウントが登録されています" in mail.outbox[-1].body


@mail_test
def test_tampered_or_foreign_verification_token_is_refused(client):
    _signup(client)
    path = _link_from_last_mail().split("testserver", 1)[1]
    tampered = path[:-3] + ("x" if path[-3] != "x" else "y") + path[-2:]
    response = client.post(tampered)
    assert response.status_code == 400
    assert "確認用リンクが正しくありません" in response.content.decode()


@override_settings(EMAIL_VERIFICATION_MAX_AGE=-1)
@mail_test
def test_expired_verification_token_is_refused(client):
    _signup(client)
    path = _link_from_last_mail().split("testserver", 1)[1]
    response = client.post(path)
    assert response.status_code == 400
    assert "有効期限が切れています" in response.content.decode()


def test_signup_errors_are_specific_and_keep_what_was_typed(client):
    response = _signup(client, email="not-an-address", password="short", confirm="different", agree_terms="")
    body = response.content.decode()
    assert response.status_code == 200
    assert "メールアドレスの形式が正しくありません" in body
    assert "確認用のパスワードが一致しません" in body
    assert "利用規約と個人情報の取扱いへの同意が必要です" in body
    assert 'value="not-an-address"' in body
    assert 'href="#id_email"' in body  # the error summary links to the field
    assert not User.objects.filter(email="not-an-address").exists()


def test_signup_weak_password_message(client):
    response = _signup(client, password="1234567890")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_password1_error"' in body


def test_login_failure_message_is_the_same_for_unknown_and_known_accounts(client):
    make_user("known@example.jp")
    unknown = client.post(
        "/accounts/login/", {"email": "nobody@example.jp", "password": "wrong-password"}
    ).content.decode()
    known = client.post(
        "/accounts/login/", {"email": "known@example.jp", "password": "wrong-password"}
    ).content.decode()
    message = "メールアドレスまたはパスワードが正しくありません"
    assert message in unknown and message in known
    assert 'value="known@example.jp"' in known  # what the user typed is kept


@override_settings(LOGIN_MAX_FAILURES=3)
@pytest.mark.parametrize("exists", [True, False])
def test_lockout_after_repeated_failures_without_revealing_existence(client, exists):
    if exists:
        make_user("target@example.jp")
    for _ in range(3):
        client.post("/accounts/login/", {"email": "target@example.jp", "password": "wrong-password"})
    response = client.post("/accounts/login/", {"email": "target@example.jp", "password": PASSWORD})
    body = response.content.decode()
    assert "しばらくの間ログインできません" in body
    assert "_auth_user_id" not in client.session


def test_staff_must_enrol_totp_then_gets_recovery_codes(city_a):
    staff = make_user("staff@example.jp")
    from django_scopes import scopes_disabled

    from madoguchi.accounts.models import StaffMembership

    with scopes_disabled():
        StaffMembership.objects.create(municipality=city_a, user=staff, role=Role.COUNTER_STAFF)
    client = Client()
    response = client.post(
        "/accounts/login/?next=/city-a/staff/",
        {"email": "staff@example.jp", "password": PASSWORD, "next": "/city-a/staff/"},
    )
    assert response.status_code == 302 and response["Location"].startswith("/accounts/mfa/enrol/")
    assert "_auth_user_id" not in client.session  # not signed in before the second factor
    # The back office is out of reach meanwhile.
    assert client.get("/city-a/staff/").status_code == 302

    page = client.get(response["Location"]).content.decode()
    assert "<svg" in page  # QR code, inline (no external request, CSP-safe)
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)

    wrong = client.post("/accounts/mfa/enrol/?next=/city-a/staff/", {"code": "000000", "next": "/city-a/staff/"})
    assert "確認コードが正しくありません" in wrong.content.decode()

    done = client.post("/accounts/mfa/enrol/", {"code": pyotp.TOTP(secret).now(), "next": "/city-a/staff/"})
    assert done.status_code == 302 and done["Location"].startswith("/accounts/mfa/recovery-codes/")
    codes_page = client.get(done["Location"]).content.decode()
    assert codes_page.count("<li>") >= 10
    assert RecoveryCode.objects.filter(user=staff).count() == 10
    assert client.get("/city-a/staff/").status_code == 200
    assert AuditEvent.objects.filter(action="account.mfa_enrolled", actor=staff).exists()


def test_staff_totp_code_cannot_be_replayed(city_a):
    staff = make_staff(city_a, Role.AUDITOR)
    code = totp_now()
    first = Client()
    first.post("/accounts/login/", {"email": staff.email, "password": PASSWORD})
    assert first.post("/accounts/mfa/verify/", {"code": code, "next": "/city-a/staff/"}).status_code == 302
    second = Client()
    second.post("/accounts/login/", {"email": staff.email, "password": PASSWORD})
    replay = second.post("/accounts/mfa/verify/", {"code": code})
    assert replay.status_code == 200
    assert "確認コードが正しくありません" in replay.content.decode()
    assert second.get("/city-a/staff/").status_code == 302


def test_recovery_code_works_once(city_a):
    staff = make_staff(city_a, Role.AUDITOR)
    from madoguchi.accounts.services import recovery_codes_regenerate

    codes = recovery_codes_regenerate(user=staff)
    client = Client()
    client.post("/accounts/login/", {"email": staff.email, "password": PASSWORD})
    assert client.post("/accounts/mfa/verify/", {"code": codes[0].upper()}).status_code == 302
    again = Client()
    again.post("/accounts/login/", {"email": staff.email, "password": PASSWORD})
    assert again.post("/accounts/mfa/verify/", {"code": codes[0]}).status_code == 200
    assert AuditEvent.objects.filter(action="account.recovery_code_used", actor=staff).count() == 1


def test_resident_login_needs_no_second_factor():
    user = make_user("resident@example.jp")
    client = Client()
    response = client.post(
        "/accounts/login/", {"email": user.email, "password": PASSWORD, "next": "/accounts/profile/"}
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/profile/"
    assert not TOTPDevice.objects.filter(user=user).exists()


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/x", "javascript:alert(1)"])
def test_login_never_redirects_off_site(target):
    user = make_user()
    response = Client().post("/accounts/login/", {"email": user.email, "password": PASSWORD, "next": target})
    assert response.status_code == 302 and response["Location"] == "/"


def test_profile_validation_messages_keep_input(client):
    user = make_user()
    client.force_login(user)
    response = client.post(
        "/accounts/profile/",
        {
            "family_name": "山田",
            "given_name": "太郎",
            "family_name_kana": "山田",
            "given_name_kana": "たろう",
            "birth_date": "平成32年1月1日",
            "postal_code": "939-16",
            "phone": "12-34",
            "prefecture": "富山県",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "フリガナはカタカナで入力してください" in body
    assert "平成の期間外の日付です" in body
    assert "郵便番号は7桁の数字で入力してください" in body
    assert "電話番号は0から始まる10桁または11桁" in body
    for typed in ('value="山田"', 'value="平成32年1月1日"', 'value="939-16"', 'value="12-34"'):
        assert typed in body
    assert 'aria-invalid="true"' in body


def test_profile_saves_normalised_values_and_audits(client):
    user = make_user()
    client.force_login(user)
    response = client.post(
        "/accounts/profile/",
        {
            "family_name": "山田",
            "given_name": "太郎",
            "family_name_kana": "やまだ",
            "given_name_kana": "ﾀﾛｳ",
            "birth_date": "S60.4.12",
            "postal_code": "９３９－１６９２",
            "phone": "(0763)23-2000",
            "notify_by_email": "on",
        },
    )
    assert response.status_code == 302
    user.profile.refresh_from_db()
    assert (user.profile.family_name_kana, user.profile.given_name_kana) == ("ヤマダ", "タロウ")
    assert str(user.profile.birth_date) == "1985-04-12"
    assert user.profile.postal_code == "9391692" and user.profile.phone == "0763232000"
    event = AuditEvent.objects.get(action="profile.updated", actor=user)
    assert "birth_date" in event.details["fields"]
    assert "1985" not in str(event.details)  # values never reach the log


def test_profile_messages_in_english(client):
    user = make_user()
    client.force_login(user)
    client.get("/?lang=en")
    response = client.post("/accounts/profile/", {"postal_code": "12"})
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "postal code" in body.lower()


@mail_test
def test_password_reset_sets_a_new_password(client):
    user = make_user("forgetful@example.jp")
    assert client.post("/accounts/password/reset/", {"email": "forgetful@example.jp"}).status_code == 302
    link = _link_from_last_mail(r"https?://\S+/accounts/password/reset/\S+/\S+/")
    path = link.split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": "a-brand-new-passphrase", "new_password2": "a-brand-new-passphrase"})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-brand-new-passphrase")


def test_password_reset_for_unknown_address_looks_the_same(client):
    response = client.post("/accounts/password/reset/", {"email": "ghost@example.jp"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/done/"
    assert mail.outbox == []


def test_logout_requires_post(client):
    user = make_user()
    client.force_login(user)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_demo_totp_secret_is_not_the_test_secret():
    from madoguchi.demo.data import DEMO_TOTP_SECRET

    assert DEMO_TOTP_SECRET != TEST_TOTP_SECRET
    assert len(pyotp.TOTP(DEMO_TOTP_SECRET).now()) == 6


def test_failed_second_factor_is_audited(city_a):
    staff = make_staff(city_a, Role.AUDITOR)
    client = Client()
    client.post("/accounts/login/", {"email": staff.email, "password": PASSWORD})
    client.post("/accounts/mfa/verify/", {"code": "000000"})
    assert AuditEvent.objects.filter(action="account.mfa_failed", actor=staff).count() == 1


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_client_address_behind_one_trusted_proxy_is_the_last_hop():
    from django.test import RequestFactory

    from madoguchi.audit.services import client_ip

    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9", REMOTE_ADDR="10.0.0.2")
    assert client_ip(request) == "203.0.113.9"  # the forged left entry is ignored
    assert client_ip(RequestFactory().get("/", REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"
    # A malformed entry falls back to the connecting address rather than pooling clients as "unknown".
    assert client_ip(RequestFactory().get("/", HTTP_X_FORWARDED_FOR="not-an-ip", REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"


def test_without_trusted_proxies_forwarded_headers_are_ignored():
    from django.test import RequestFactory

    from madoguchi.audit.services import client_ip

    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="6.6.6.6", REMOTE_ADDR="198.51.100.7")
    assert client_ip(request) == "198.51.100.7"


@mail_test
def test_password_reset_reaches_accounts_that_never_set_a_password(client):
    user = User.objects.create_user(email="invited@example.jp", password=None)
    assert not user.has_usable_password()
    client.post("/accounts/password/reset/", {"email": "invited@example.jp"})
    assert mail.outbox and mail.outbox[-1].to == ["invited@example.jp"]


def _limits(**overrides):
    return override_settings(RATE_LIMITS={**settings.RATE_LIMITS, **overrides})


@_limits(signup=(2, 3600))
def test_signup_is_rate_limited_per_address(client):
    for n in range(2):
        assert _signup(client, email=f"burst{n}@example.jp").status_code == 302
    refused = _signup(client, email="burst-extra@example.jp")
    assert refused.status_code == 429 and refused["Retry-After"] == "3600"
    assert "しばらくたってからお試しください" in refused.content.decode()
    assert not User.objects.filter(email="burst-extra@example.jp").exists()
    assert client.get("/accounts/signup/").status_code == 200  # reading the form is never limited


@_limits(password_reset=(1, 3600))
def test_password_reset_is_rate_limited(client):
    assert client.post("/accounts/password/reset/", {"email": "a@example.jp"}).status_code == 302
    assert client.post("/accounts/password/reset/", {"email": "b@example.jp"}).status_code == 429
