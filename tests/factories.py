"""Factory functions for test data. Each returns saved objects; pass keyword arguments to override."""

from __future__ import annotations

import itertools
from typing import Any

import pyotp
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from madoguchi.accounts import mfa
from madoguchi.accounts.models import Profile, Role, StaffMembership, TOTPDevice, User
from madoguchi.accounts.services import SESSION_MFA_VERIFIED
from madoguchi.core.models import Department, ModuleActivation, Municipality
from madoguchi.core.validators import local_government_code_check_digit

PASSWORD = "correct-horse-battery-9"
_counter = itertools.count(1)


def valid_code(first_five: str) -> str:
    return first_five + str(local_government_code_check_digit(first_five))


def make_municipality(**overrides: Any) -> Municipality:
    n = next(_counter)
    letters = "".join(chr(ord("A") + int(d)) for d in f"{n:03d}")
    data = {
        # Five digits whatever the run's length (the whole suite in one process makes more than 10,000);
        # codes only need to be unique within a test, whose data is rolled back or flushed after it.
        "code": valid_code(f"{90000 + n % 10000:05d}"),
        "name": f"テスト市{n}",
        "name_kana": f"てすとし{n}",
        "name_en": f"Test City {n}",
        "prefecture": "富山県",
        "slug": f"test-city-{n}",
        "receipt_prefix": f"T{letters[-2:]}",
        "contact_phone": "0763232000",
    }
    data.update(overrides)
    return Municipality.objects.create(**data)


def make_department(municipality: Municipality, **overrides: Any) -> Department:
    n = next(_counter)
    data = {"slug": f"dept-{n}", "name": f"テスト課{n}", "name_en": f"Test Division {n}"}
    data.update(overrides)
    with scopes_disabled():
        return Department.objects.create(municipality=municipality, **data)


def make_user(email: str | None = None, *, verified: bool = True, **profile: Any) -> User:
    n = next(_counter)
    user = User.objects.create_user(
        email=email or f"user{n}@example.jp",
        password=PASSWORD,
        email_verified_at=timezone.now() if verified else None,
    )
    Profile.objects.create(user=user, **profile)
    return user


def make_staff(
    municipality: Municipality,
    role: str = Role.MUNICIPALITY_ADMIN,
    *,
    department: Department | None = None,
    **kwargs: Any,
) -> User:
    user = make_user(**kwargs)
    if role == Role.DEPARTMENT_STAFF and department is None:
        department = make_department(municipality)
    with scopes_disabled():
        StaffMembership.objects.create(municipality=municipality, user=user, role=role, department=department)
    enrol_totp(user)
    return user


def make_platform_admin() -> User:
    user = User.objects.create_superuser(email=f"platform{next(_counter)}@example.jp", password=PASSWORD)
    Profile.objects.create(user=user)
    enrol_totp(user)
    return user


TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def enrol_totp(user: User, secret: str = TEST_TOTP_SECRET) -> None:
    TOTPDevice.objects.update_or_create(
        user=user, defaults={"encrypted_secret": mfa.encrypt_secret(secret), "confirmed_at": timezone.now()}
    )


def totp_now(secret: str = TEST_TOTP_SECRET) -> str:
    return pyotp.TOTP(secret).now()


def staff_client(user: User) -> Client:
    """A client signed in as this user with the second factor already checked (for view tests)."""
    client = Client()
    client.force_login(user, backend="madoguchi.accounts.backends.EmailBackend")
    session = client.session
    session[SESSION_MFA_VERIFIED] = True
    session.save()
    return client


def enable_module(municipality: Municipality, key: str, enabled: bool = True) -> None:
    with scopes_disabled():
        ModuleActivation.objects.update_or_create(
            municipality=municipality, module_key=key, defaults={"enabled": enabled}
        )
