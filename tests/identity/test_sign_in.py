"""Sign-in with an OpenID Provider: start, callback, account creation, reuse, linking."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django_scopes import scopes_disabled

from madoguchi.accounts.models import Profile, Role
from madoguchi.identity import oidc
from madoguchi.identity.models import ExternalIdentity
from madoguchi.identity.selectors import SESSION_ASSURANCE
from madoguchi.identity.services import SESSION_ATTEMPTS
from tests.factories import make_staff, make_user

from .conftest import CLIENT_ID

pytestmark = pytest.mark.django_db
User = get_user_model()


def signed_in_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


def identities():
    with scopes_disabled():
        return list(ExternalIdentity.objects.select_related("user"))


def link(user, provider, subject="subject-0001") -> ExternalIdentity:
    from django.utils import timezone

    with scopes_disabled():
        return ExternalIdentity.objects.create(
            municipality=provider.municipality,
            user=user,
            provider=provider,
            subject=subject,
            identity_level=provider.identity_level,
            first_login_at=timezone.now() - datetime.timedelta(days=30),
            last_login_at=timezone.now() - datetime.timedelta(days=30),
        )


def register_with_email(client, django_capture_on_commit_callbacks, email: str):
    """The e-mail step of a first sign-in: give an address, read the code from the mail, enter it."""
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post("/city-a/auth/register/", {"email": email})
    assert sent.status_code == 302 and sent["Location"] == "/city-a/auth/register/confirm/"
    message = mail.outbox[-1]
    assert message.to == [email]
    code = re.search(r"\b(\d{6})\b", message.body).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        return client.post("/city-a/auth/register/confirm/", {"code": code})


def test_start_redirects_to_the_provider_with_state_nonce_and_pkce(journey, provider, fake_op):
    response = journey.start(next_url="/city-a/notices/")

    assert response.status_code == 302
    assert response["Location"].startswith(fake_op.endpoints["authorization_endpoint"] + "?")
    params = journey.query(response["Location"])
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == "http://testserver/city-a/auth/oidc/myna/callback/"
    assert params["scope"] == "openid name address birthdate"
    assert params["code_challenge_method"] == "S256"
    attempt = journey.client.session[SESSION_ATTEMPTS][params["state"]]
    assert attempt["nonce"] == params["nonce"]
    assert params["code_challenge"] == oidc.code_challenge_s256(attempt["verifier"])
    assert attempt["verifier"] not in response["Location"]
    assert attempt["next"] == "/city-a/notices/"
    assert len(params["state"]) >= 43 and len(params["nonce"]) >= 43


def test_first_sign_in_proves_an_email_then_creates_a_verified_account_with_prefilled_profile(
    journey, provider, fake_op, django_capture_on_commit_callbacks
):
    callback = journey.sign_in(next_url="/city-a/notices/")
    # No e-mail from デジタル認証アプリ: the person is asked for one before any account exists.
    assert callback.status_code == 302 and callback["Location"] == "/city-a/auth/register/"
    assert User.objects.count() == 0
    assert signed_in_user_id(journey.client) is None
    page = journey.client.get("/city-a/auth/register/")
    assert page.status_code == 200 and "メールアドレスの登録" in page.content.decode()

    done = register_with_email(journey.client, django_capture_on_commit_callbacks, "hanako@example.jp")

    assert done.status_code == 302 and done["Location"] == "/city-a/notices/"
    user = User.objects.get()
    assert user.email == "hanako@example.jp"
    assert user.email_verified_at is not None
    assert not user.has_usable_password()
    assert signed_in_user_id(journey.client) == str(user.pk)
    profile = Profile.objects.get(user=user)
    assert (profile.family_name, profile.given_name) == ("窓口", "花子")
    assert (profile.prefecture, profile.city, profile.town) == ("富山県", "南砺市", "荒木1550")
    assert profile.birth_date == datetime.date(1990, 4, 1)
    [identity] = identities()
    assert identity.user == user and identity.subject == "subject-0001"
    assert identity.identity_level == "my_number_card"
    # Only claim names are kept on the link, never the values (and gender is not kept at all).
    assert identity.verified_claims == {"claims": ["address", "birthdate", "gender", "name"], "acr": "aal3 crl"}
    assert journey.client.session[SESSION_ASSURANCE]["level"] == "my_number_card"
    assert fake_op.state.token_errors == []


def test_second_sign_in_reuses_the_linked_identity(journey, provider, fake_op):
    user = make_user("linked@example.jp")
    old = link(user, provider)

    response = journey.sign_in()

    assert response.status_code == 302 and response["Location"] == "/city-a/"
    assert signed_in_user_id(journey.client) == str(user.pk)
    assert User.objects.count() == 1
    [identity] = identities()
    assert identity.pk == old.pk and identity.last_login_at > old.last_login_at
    # The profile is filled only when an identity is linked, never again at later sign-ins.
    assert Profile.objects.get(user=user).family_name == ""


def test_verified_email_claim_creates_the_account_directly(journey, provider, fake_op):
    fake_op.login_as("biz-0001", email="Taro@Example.jp", email_verified=True, name="山田 太郎")

    response = journey.sign_in()

    assert response.status_code == 302 and response["Location"] == "/city-a/"
    user = User.objects.get(email="taro@example.jp")
    assert signed_in_user_id(journey.client) == str(user.pk)
    assert (user.profile.family_name, user.profile.given_name) == ("山田", "太郎")


def test_unverified_email_claim_is_not_trusted(journey, provider, fake_op):
    fake_op.login_as("biz-0002", email="taro@example.jp", email_verified=False)

    response = journey.sign_in()

    assert response["Location"] == "/city-a/auth/register/"
    assert User.objects.count() == 0
    page = journey.client.get("/city-a/auth/register/")
    assert 'value="taro@example.jp"' in page.content.decode()  # offered, but still to be proven


def test_an_existing_account_is_never_joined_by_matching_email(
    journey, provider, fake_op, django_capture_on_commit_callbacks
):
    victim = make_user("victim@example.jp")
    fake_op.login_as("attacker-sub", email="victim@example.jp", email_verified=True)

    response = journey.sign_in()

    assert response["Location"] == "/city-a/auth/register/"
    assert signed_in_user_id(journey.client) is None
    # Even after proving the address, the identity is not attached to the existing account.
    done = register_with_email(journey.client, django_capture_on_commit_callbacks, "victim@example.jp")
    assert done.status_code == 302 and done["Location"] == "/city-a/auth/register/"
    page = journey.client.get(done["Location"])
    assert "このメールアドレスのアカウントがすでにあります" in page.content.decode()
    assert signed_in_user_id(journey.client) is None
    assert identities() == []
    assert User.objects.count() == 1
    with scopes_disabled():
        assert not victim.external_identities.exists()


def test_signed_in_resident_links_the_identity_without_overwriting_what_they_typed(journey, provider, fake_op):
    user = make_user("resident@example.jp", family_name="山田", given_name="", city="")
    journey.client.force_login(user, backend="madoguchi.accounts.backends.EmailBackend")

    response = journey.sign_in(next_url="/city-a/notices/")

    assert response.status_code == 302 and response["Location"] == "/city-a/notices/"
    [identity] = identities()
    assert identity.user == user
    profile = Profile.objects.get(user=user)
    assert (profile.family_name, profile.given_name) == ("山田", "")  # typed name kept as a whole
    assert profile.city == "南砺市"  # empty address filled
    assert profile.birth_date == datetime.date(1990, 4, 1)
    assert signed_in_user_id(journey.client) == str(user.pk)


def test_an_account_holds_one_identity_per_provider(journey, provider, fake_op):
    user = make_user("resident@example.jp")
    link(user, provider, subject="card-of-the-owner")
    journey.client.force_login(user, backend="madoguchi.accounts.backends.EmailBackend")
    fake_op.login_as("someone-elses-card")

    response = journey.sign_in()

    assert response.status_code == 409
    assert "別の方の本人確認情報がすでに連携されています" in response.content.decode()
    assert [i.subject for i in identities()] == ["card-of-the-owner"]


def test_staff_signing_in_with_a_provider_still_needs_their_second_factor(journey, provider, city_a):
    staff = make_staff(city_a, Role.COUNTER_STAFF)
    link(staff, provider)

    response = journey.sign_in(next_url="/city-a/staff/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/mfa/enrol/?next=%2Fcity-a%2Fstaff%2F"
    assert signed_in_user_id(journey.client) is None


def test_deactivated_account_cannot_sign_in(journey, provider):
    user = make_user("gone@example.jp")
    user.is_active = False
    user.save()
    link(user, provider)

    response = journey.sign_in()

    assert response.status_code == 403
    assert signed_in_user_id(journey.client) is None


def test_several_attempts_can_run_at_once(journey, provider):
    user = make_user("tabs@example.jp")
    link(user, provider)
    first = journey.authorize(journey.start(next_url="/city-a/one/"))
    second = journey.authorize(journey.start(next_url="/city-a/two/"))

    assert journey.callback(second)["Location"] == "/city-a/two/"
    assert journey.callback(first)["Location"] == "/city-a/one/"


def test_userinfo_claims_prefill_when_the_id_token_carries_none(journey, provider, fake_op):
    provider.userinfo_endpoint = fake_op.endpoints["userinfo_endpoint"]
    provider.save()
    fake_op.login_as(
        "u-1",
        in_id_token=False,
        email="info@example.jp",
        email_verified=True,
        family_name="田中",
        given_name="一郎",
        address={"postal_code": "939-1692", "region": "富山県", "locality": "南砺市", "street_address": "荒木1550"},
    )

    response = journey.sign_in()

    assert response.status_code == 302
    profile = User.objects.get(email="info@example.jp").profile
    assert (profile.family_name, profile.given_name, profile.postal_code) == ("田中", "一郎", "9391692")
    assert (profile.prefecture, profile.city, profile.town) == ("富山県", "南砺市", "荒木1550")


def test_provider_key_rotation_is_picked_up_despite_the_jwks_cache(journey, provider, fake_op):
    from .fake_provider import new_signing_key

    user = make_user("rotate@example.jp")
    link(user, provider)
    assert journey.sign_in().status_code == 302
    assert journey.sign_in().status_code == 302
    assert fake_op.state.jwks_requests == 1  # cached between sign-ins

    fake_op.rotate_key(new_signing_key("op-key-2"))
    assert journey.sign_in().status_code == 302
    assert fake_op.state.jwks_requests == 2  # unknown kid: fetched again once
