"""Sign-in with an OpenID Provider in the browser (phone viewport): the login page's provider button, the round
trip through a fake provider (real HTTP on 127.0.0.1), a first-time resident with and without a verified e-mail
address, the failure page, and the same journey in English.

The fake provider (tests/identity/fake_provider.py) answers /authorize at once with a redirect: it never shows
a page of its own. So the browser loads exactly one document per sign-in, ours, at the end of the redirect
chain (start → provider → callback → next), and `submit()` checks that one with axe-core. Nothing of the
provider's is checked, and nothing needs exempting from the harness's "loaded but never checked" guard: had the
provider served a page, that guard would fail the test.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.core.mail import EmailMessage
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import Locator, Page, Response, expect

from madoguchi.accounts.models import Profile, User
from madoguchi.identity.models import (
    ClientAuthMethod,
    ExternalIdentity,
    IdentityLevel,
    IdentityProvider,
    ProviderKind,
)
from tests.factories import PASSWORD, make_user
from tests.identity.fake_provider import Client, FakeOpenIDProvider, new_rp_key, new_signing_key

from .helpers import expect_path, sign_in_with_password, submit, visit

pytestmark = pytest.mark.e2e

CLIENT_ID = "RP00000001"
PROVIDER_NAME = "マイナンバーカードでログイン（デジタル認証アプリ）"
PROVIDER_NAME_EN = "Sign in with My Number Card (Digital Authentication App)"
# 基本4情報 as a card-based provider might send them (one-string name and address).
BASIC_FOUR = {
    "name": "窓口\u3000花子",
    "address": "富山県南砺市荒木1550",
    "birthdate": "1990-04-01",
    "gender": "2",
}
# Hiragana, katakana, CJK ideographs, Japanese punctuation and full-width forms.
JAPANESE = re.compile(r"[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


# --- The fake provider and its registration -----------------------------------------------------------------


@pytest.fixture(scope="module")
def rp_key():
    return new_rp_key("EC")


@pytest.fixture(scope="module")
def fake_op_server() -> Iterator[FakeOpenIDProvider]:
    op = FakeOpenIDProvider(signing_key=new_signing_key("op-key-1"), other_key=new_signing_key("op-key-1")).start()
    assert urlsplit(op.issuer).hostname == "127.0.0.1"
    yield op
    op.stop()


@pytest.fixture
def fake_op(fake_op_server: FakeOpenIDProvider, rp_key) -> FakeOpenIDProvider:
    """The fake provider, reset for this test, with our relying party registered (private_key_jwt)."""
    op = fake_op_server
    op.reset()
    op.register_client(Client(CLIENT_ID, "private_key_jwt", public_jwk=dict(rp_key.as_dict(private=False))))
    return op


@pytest.fixture
def provider(town, fake_op: FakeOpenIDProvider, rp_key) -> IdentityProvider:
    """南砺市's デジタル認証アプリ registration, pointed at the fake provider."""
    endpoints = fake_op.endpoints
    provider = IdentityProvider(
        municipality=town.municipality,
        slug="myna",
        name=PROVIDER_NAME,
        name_en=PROVIDER_NAME_EN,
        kind=ProviderKind.DIGITAL_AUTH_APP,
        issuer=endpoints["issuer"],
        authorization_endpoint=endpoints["authorization_endpoint"],
        token_endpoint=endpoints["token_endpoint"],
        jwks_uri=endpoints["jwks_uri"],
        client_id=CLIENT_ID,
        client_auth_method=ClientAuthMethod.PRIVATE_KEY_JWT,
        identity_level=IdentityLevel.MY_NUMBER_CARD,
        is_enabled=True,
    )
    provider.set_private_key_jwk(dict(rp_key.as_dict(private=True)))
    with scopes_disabled():
        provider.full_clean()
        provider.save()
    return provider


# --- Helpers -------------------------------------------------------------------------------------------------


def _through_the_provider(page: Page, fake_op: FakeOpenIDProvider, button: Locator, *, status: int = 200) -> Response:
    """Press the provider's button and follow the whole round trip; axe checks the page it ends on (ours).

    Asserts the browser really went start → fake provider's /authorize → our callback, and that our server
    exchanged the code at the provider's token endpoint (the back channel).
    """
    authorize_before = len(fake_op.state.authorize_requests)
    token_before = len(fake_op.state.token_requests)
    response = submit(page, button, status=status)
    hops: list[str] = []
    request = response.request
    while request is not None:
        hops.insert(0, request.url)
        request = request.redirected_from
    assert len(hops) >= 3, hops
    assert re.search(r"/nanto/auth/oidc/myna/start/", hops[0]), hops
    assert hops[1].startswith(f"{fake_op.issuer}/authorize?"), hops
    assert re.search(r"/nanto/auth/oidc/myna/callback/\?(.*&)?code=", hops[2]), hops
    assert len(fake_op.state.authorize_requests) == authorize_before + 1
    assert len(fake_op.state.token_requests) == token_before + 1
    assert not fake_op.state.token_errors, fake_op.state.token_errors
    assert not page.url.startswith(fake_op.issuer), page.url
    return response


def _provider_button(page: Page, name: str) -> Locator:
    button = page.get_by_role("link", name=name, exact=True)
    expect(button).to_have_attribute("href", "/nanto/auth/oidc/myna/start/?next=%2Fnanto%2F")
    return button


def _code_from(message: EmailMessage) -> str:
    codes = re.findall(r"(?<!\d)\d{6}(?!\d)", message.body)
    assert len(codes) == 1, f"expected one 6-digit code in the e-mail:\n{message.body}"
    return codes[0]


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _expect_signed_in(page: Page, *, my_account: str, sign_out: str) -> None:
    banner = page.get_by_role("banner")
    expect(banner.get_by_role("link", name=my_account)).to_be_visible()
    expect(banner.get_by_role("button", name=sign_out)).to_be_visible()


def _expect_english(page: Page, *, excluding: str = "") -> None:
    """The page is in English and its <main> holds no Japanese text (elements matching `excluding` aside)."""
    expect(page.locator("html")).to_have_attribute("lang", "en")
    text = page.locator("main").evaluate(
        """(main, excluding) => {
            const copy = main.cloneNode(true);
            if (excluding) copy.querySelectorAll(excluding).forEach((element) => element.remove());
            return copy.textContent.replace(/\\s+/g, " ");
        }""",
        excluding,
    )
    found = JAPANESE.findall(text)
    assert not found, f"Japanese text {found} on the English page {page.url}: {text}"


def _linked_identities(page: Page, heading: str) -> Locator:
    return page.get_by_role("heading", level=2, name=heading).locator("xpath=following-sibling::ul[1]/li")


def _identity_of(email: str) -> ExternalIdentity:
    with scopes_disabled():
        return ExternalIdentity.objects.select_related("user", "provider").get(user__email=email)


# --- Tests ---------------------------------------------------------------------------------------------------


def test_first_sign_in_with_a_verified_email_lands_signed_in_at_next(open_page, town, provider, fake_op):
    fake_op.login_as("subject-0001", email="Hanako.Madoguchi@example.jp", email_verified=True, **BASIC_FOUR)
    page = open_page("phone")

    visit(page, f"/accounts/login/?next={town.home}")
    expect(page.get_by_role("heading", level=2, name="ほかの方法でログイン")).to_be_visible()
    button = _provider_button(page, PROVIDER_NAME)
    expect(button).to_be_visible()

    _through_the_provider(page, fake_op, button)
    expect_path(page, town.home)
    expect(page.get_by_role("heading", level=1)).to_have_text("南砺市 オンライン窓口")
    _expect_signed_in(page, my_account="マイページ", sign_out="ログアウト")

    # The profile shows the linked identity and 氏名・住所 prefilled from 基本4情報.
    submit(page, page.get_by_role("banner").get_by_role("link", name="マイページ"))
    expect_path(page, "/accounts/profile/")
    expect(page.locator("main")).to_contain_text("ログイン中のメールアドレス：hanako.madoguchi@example.jp")
    linked = _linked_identities(page, "連携している本人確認")
    expect(linked).to_have_count(1)
    expect(linked).to_contain_text(f"{PROVIDER_NAME}（南砺市）")
    expect(linked).to_contain_text("最終利用：")
    expect(page.get_by_label("姓", exact=True)).to_have_value("窓口")
    expect(page.get_by_label("名", exact=True)).to_have_value("花子")
    expect(page.get_by_label("都道府県", exact=True)).to_have_value("富山県")
    expect(page.get_by_label("市区町村", exact=True)).to_have_value("南砺市")
    expect(page.get_by_label("町字", exact=True)).to_have_value("荒木1550")

    identity = _identity_of("hanako.madoguchi@example.jp")
    assert identity.subject == "subject-0001" and identity.provider == provider
    assert identity.identity_level == IdentityLevel.MY_NUMBER_CARD
    assert identity.user.email_verified_at is not None
    assert not identity.user.has_usable_password()
    assert Profile.objects.get(user=identity.user).birth_date == datetime.date(1990, 4, 1)


def test_first_sign_in_without_an_email_registers_one_with_a_code(open_page, town, provider, fake_op, mailoutbox):
    fake_op.login_as("subject-0002", **BASIC_FOUR)  # デジタル認証アプリ gives no e-mail address
    email = "sakura.nanto@example.jp"
    page = open_page("phone")

    visit(page, f"/accounts/login/?next={town.home}")
    _through_the_provider(page, fake_op, _provider_button(page, PROVIDER_NAME))
    expect_path(page, "/nanto/auth/register/")
    expect(page.get_by_role("heading", level=1)).to_have_text("メールアドレスの登録")
    expect(page.locator("main")).to_contain_text("本人確認ができました。")
    expect(page.get_by_role("banner").get_by_role("link", name="ログイン", exact=True)).to_be_visible()
    assert not User.objects.filter(email=email).exists()

    page.get_by_label("メールアドレス").fill(email)
    submit(page, page.get_by_role("button", name="確認コードを送る"))
    expect_path(page, "/nanto/auth/register/confirm/")
    expect(page.get_by_role("heading", level=1)).to_have_text("確認コードの入力")
    expect(page.locator("main")).to_contain_text(f"{email} に確認コードを送りました")
    assert [m.to for m in mailoutbox] == [[email]]
    assert mailoutbox[0].subject == "【窓口】メールアドレスの確認コード"
    code = _code_from(mailoutbox[0])

    # A wrong code: the summary (focused, linked to the field), the message at the field, the value kept.
    code_field = page.get_by_label("確認コード")
    code_field.fill(_wrong(code))
    submit(page, page.get_by_role("button", name="アカウントを作成してログインする"))
    expect_path(page, "/nanto/auth/register/confirm/")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("確認コードが正しくありません")
    expect(summary.get_by_role("link")).to_have_attribute("href", "#id_code")
    expect(page.locator("#id_code_error")).to_have_text(
        "確認コードが正しくありません。メールに記載された6桁の数字を入力してください。"
    )
    expect(code_field).to_have_value(_wrong(code))
    expect(code_field).to_have_attribute("aria-invalid", "true")
    expect(code_field).to_have_attribute("aria-describedby", re.compile(r"\bid_code_error\b"))
    assert not User.objects.filter(email=email).exists()

    # The right code creates the account, links the identity and signs in at `next`.
    code_field.fill(code)
    submit(page, page.get_by_role("button", name="アカウントを作成してログインする"))
    expect_path(page, town.home)
    _expect_signed_in(page, my_account="マイページ", sign_out="ログアウト")

    submit(page, page.get_by_role("banner").get_by_role("link", name="マイページ"))
    expect(page.locator("main")).to_contain_text(f"ログイン中のメールアドレス：{email}")
    expect(_linked_identities(page, "連携している本人確認")).to_contain_text(f"{PROVIDER_NAME}（南砺市）")
    expect(page.get_by_label("姓", exact=True)).to_have_value("窓口")
    expect(page.get_by_label("市区町村", exact=True)).to_have_value("南砺市")
    identity = _identity_of(email)
    assert identity.subject == "subject-0002"
    assert identity.user.email_verified_at is not None
    assert len(mailoutbox) == 1  # the wrong code sent nothing more


def test_a_tampered_nonce_shows_the_japanese_error_page(open_page, town, provider, fake_op):
    fake_op.login_as("subject-0003", email="tampered@example.jp", email_verified=True, **BASIC_FOUR)
    fake_op.set_tamper("wrong_nonce")
    page = open_page("phone")

    visit(page, f"/accounts/login/?next={town.home}")
    _through_the_provider(page, fake_op, _provider_button(page, PROVIDER_NAME), status=400)
    expect(page).to_have_title(re.compile(r"^ログインできませんでした \| 南砺市 \| "))
    expect(page.get_by_role("heading", level=1)).to_have_text("ログインできませんでした")
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(
        "本人確認の結果を確かめられなかったため、ログインできませんでした。最初からやり直してください。"
    )
    expect(alert).to_be_focused()
    expect(page.get_by_role("link", name=f"もう一度「{PROVIDER_NAME}」でログインする")).to_have_attribute(
        "href", "/nanto/auth/oidc/myna/start/"
    )
    expect(page.get_by_role("link", name="メールアドレスとパスワードでログインする")).to_be_visible()
    expect(page.get_by_role("link", name="トップページへ戻る")).to_have_attribute("href", town.home)
    expect(page.locator("main code").first).to_have_text("id_token_nonce")
    expect(page.get_by_role("banner").get_by_role("link", name="ログイン", exact=True)).to_be_visible()
    assert not User.objects.filter(email="tampered@example.jp").exists()


def test_a_forged_state_shows_the_japanese_error_page(open_page, town, provider, fake_op):
    page = open_page("phone")
    # A callback this browser never started (an attacker's link, or a replayed one): no token request is made.
    visit(page, "/nanto/auth/oidc/myna/callback/?code=forged-code&state=forged-state", status=400)
    expect(page.get_by_role("heading", level=1)).to_have_text("ログインできませんでした")
    expect(page.get_by_role("alert")).to_have_text(
        "ログインの手続きを確認できませんでした。お手数ですが、最初からやり直してください。"
    )
    expect(page.locator("main code").first).to_have_text("state_invalid")
    assert fake_op.state.token_requests == []


def test_the_same_journey_in_english(open_page, town, provider, fake_op, mailoutbox):
    fake_op.login_as("subject-0004", **BASIC_FOUR)
    email = "ken.visitor@example.jp"
    page = open_page("phone")

    visit(page, f"/accounts/login/?lang=en&next={town.home}")
    _expect_english(page)
    expect(page.get_by_role("heading", level=2, name="Other ways to sign in")).to_be_visible()
    _through_the_provider(page, fake_op, _provider_button(page, PROVIDER_NAME_EN))

    expect_path(page, "/nanto/auth/register/")
    expect(page).to_have_title(re.compile(r"^Your email address \| Nanto City \| "))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your email address")
    expect(page.locator("main")).to_contain_text("Your identity has been confirmed.")
    _expect_english(page)
    page.get_by_label("Email address").fill(email)
    submit(page, page.get_by_role("button", name="Send confirmation code"))

    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your verification code")
    expect(page.locator("main")).to_contain_text(f"We have sent a confirmation code to {email}.")
    _expect_english(page)
    assert [m.to for m in mailoutbox] == [[email]]
    assert mailoutbox[0].subject == "[Madoguchi] Your email confirmation code"
    assert not JAPANESE.search(mailoutbox[0].body), mailoutbox[0].body
    code = _code_from(mailoutbox[0])

    code_field = page.get_by_label("Verification code")
    code_field.fill(_wrong(code))
    submit(page, page.get_by_role("button", name="Create account and sign in"))
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(summary.get_by_role("link")).to_contain_text(
        "The confirmation code is not correct. Enter the 6-digit number in the email."
    )
    expect(page.locator("#id_code_error")).to_have_text(
        "The confirmation code is not correct. Enter the 6-digit number in the email."
    )
    expect(code_field).to_have_value(_wrong(code))
    # The summary's "label：message" is checked by test_english_error_summary_has_no_japanese_punctuation.
    _expect_english(page, excluding=".error-summary")

    code_field.fill(code)
    submit(page, page.get_by_role("button", name="Create account and sign in"))
    expect_path(page, town.home)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    _expect_signed_in(page, my_account="My account", sign_out="Sign out")

    submit(page, page.get_by_role("banner").get_by_role("link", name="My account"))
    expect(page.locator("main")).to_contain_text(f"Signed in as {email}")
    linked = _linked_identities(page, "Linked identity checks")
    expect(linked).to_contain_text(PROVIDER_NAME_EN)
    expect(linked).to_contain_text("Nanto City")
    expect(linked).to_contain_text("last used")
    expect(page.get_by_label("Family name", exact=True)).to_have_value("窓口")
    assert _identity_of(email).user.preferred_language == "en"

    # The failure page too.
    visit(page, "/nanto/auth/oidc/myna/callback/?code=forged-code&state=forged-state", status=400)
    expect(page.get_by_role("heading", level=1)).to_have_text("You could not be signed in")
    expect(page.get_by_role("alert")).to_have_text(
        "We could not match this sign-in to one you started. Start again from the beginning."
    )
    expect(page.get_by_role("link", name=f"Try “{PROVIDER_NAME_EN}” again")).to_be_visible()
    _expect_english(page)


# --- English pages carry no Japanese punctuation ---------------------------------------------------------


def test_english_error_summary_has_no_japanese_punctuation(open_page, town, provider, fake_op):
    fake_op.login_as("subject-0005", **BASIC_FOUR)
    page = open_page("phone")
    visit(page, f"/accounts/login/?lang=en&next={town.home}")
    _through_the_provider(page, fake_op, _provider_button(page, PROVIDER_NAME_EN))
    expect_path(page, "/nanto/auth/register/")
    submit(page, page.get_by_role("button", name="Send confirmation code"))
    link = page.locator(".error-summary").get_by_role("link")
    expect(link).to_have_attribute("href", "#id_email")
    expect(link).to_contain_text("Enter your email address.")
    _expect_english(page)


def test_english_profile_lists_the_linked_identity_without_japanese_punctuation(open_page, town, provider):
    user = make_user("linked@example.jp")
    now = timezone.now()
    with scopes_disabled():
        ExternalIdentity.objects.create(
            municipality=town.municipality,
            user=user,
            provider=provider,
            subject="subject-0006",
            identity_level=provider.identity_level,
            first_login_at=now,
            last_login_at=now,
        )
    page = open_page("phone")
    sign_in_with_password(page, user.email, PASSWORD, next_path="/accounts/profile/?lang=en")
    expect_path(page, "/accounts/profile/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    linked = _linked_identities(page, "Linked identity checks")
    expect(linked).to_contain_text(f"{PROVIDER_NAME_EN}")
    expect(linked).to_contain_text("Nanto City")
    # Only the linked identity is checked: the form's hints show Japanese input examples on purpose.
    text = linked.inner_text()
    assert not JAPANESE.search(text), text
