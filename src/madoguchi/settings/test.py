"""Test settings: the same as development, with fast hashing and in-memory side channels."""

import os

os.environ.setdefault("MADOGUCHI_ENV", "development")

from .base import *  # noqa: F403
from .base import TASKS as _TASKS  # noqa: F401

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; never in production
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "madoguchi-test"}}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
ALLOWED_HOSTS = ["*"]

# SQLite tests use a real file (not shared-cache memory) so WAL, IMMEDIATE transactions and the busy
# timeout behave as in production when concurrency tests open parallel connections.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}  # noqa: F405

# Uploaded files (residents' attachments, facility photos) go to a throw-away folder per test process, never
# into var/, and the folder goes when the process ends.
import atexit  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

_TEST_FILES = tempfile.mkdtemp(prefix="madoguchi-files-")
atexit.register(shutil.rmtree, _TEST_FILES, ignore_errors=True)
STORAGES["procedure_files"] = {  # noqa: F405
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": os.path.join(_TEST_FILES, "private"), "base_url": None},
}
STORAGES["default"] = {  # noqa: F405
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": os.path.join(_TEST_FILES, "media")},
}
