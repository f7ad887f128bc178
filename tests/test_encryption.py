"""Stored secrets stay readable across key changes that keep the old key, and only then."""

import pytest
from django.test import override_settings

from madoguchi.core.encryption import SecretBox, SecretUnreadable

BOX = SecretBox("test-label")


def test_introducing_a_dedicated_key_keeps_old_secrets_readable():
    with override_settings(SECRET_KEY="old-secret-key-" * 4, MFA_ENCRYPTION_KEY="", SECRET_KEY_FALLBACKS=[]):
        token = BOX.encrypt("JBSWY3DPEHPK3PXP")
    with override_settings(SECRET_KEY="old-secret-key-" * 4, MFA_ENCRYPTION_KEY="dedicated-" * 5):
        assert BOX.decrypt(token) == "JBSWY3DPEHPK3PXP"
        fresh = BOX.encrypt("JBSWY3DPEHPK3PXP")
    # New values use the dedicated key, so SECRET_KEY can rotate freely afterwards.
    with override_settings(
        SECRET_KEY="brand-new-key-" * 4, MFA_ENCRYPTION_KEY="dedicated-" * 5, SECRET_KEY_FALLBACKS=[]
    ):
        assert BOX.decrypt(fresh) == "JBSWY3DPEHPK3PXP"


def test_rotating_secret_key_needs_the_old_key_as_a_fallback():
    with override_settings(SECRET_KEY="first-key-" * 5, MFA_ENCRYPTION_KEY="", SECRET_KEY_FALLBACKS=[]):
        token = BOX.encrypt("value")
    with override_settings(
        SECRET_KEY="second-key-" * 5, MFA_ENCRYPTION_KEY="", SECRET_KEY_FALLBACKS=["first-key-" * 5]
    ):
        assert BOX.decrypt(token) == "value"
    with (
        override_settings(SECRET_KEY="second-key-" * 5, MFA_ENCRYPTION_KEY="", SECRET_KEY_FALLBACKS=[]),
        pytest.raises(SecretUnreadable),
    ):
        BOX.decrypt(token)


def test_labels_separate_kinds_of_secret():
    token = SecretBox("kind-a").encrypt("value")
    with pytest.raises(SecretUnreadable):
        SecretBox("kind-b").decrypt(token)


def test_empty_values_stay_empty():
    assert BOX.encrypt("") == "" and BOX.decrypt("") == ""
