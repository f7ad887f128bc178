"""The engine's messages all go through gettext and all have English in the project catalog."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "src" / "madoguchi" / "procedures" / "engine"
CATALOG = ROOT / "src" / "madoguchi" / "locale" / "en" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _read(path: Path) -> dict[str, str]:
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="en")
    return {message.id: message.string for message in catalog if message.id and isinstance(message.id, str)}


def engine_message_ids() -> set[str]:
    ids: set[str] = set()
    for path in ENGINE.glob("*.py"):
        for _lineno, message, _comments, _context in extract_from_file(
            "python", str(path), keywords={"_": None, "gettext": None, "gettext_lazy": None}
        ):
            ids.add(message if isinstance(message, str) else message[0])
    template = (ENGINE / "templates" / "page_form.html").read_text(encoding="utf-8")
    ids.update(re.findall(r'{% translate "([^"]+)" %}', template))
    for block in re.findall(r"{% blocktranslate with [^%]+%}(.*?){% endblocktranslate %}", template, flags=re.S):
        ids.add(re.sub(r"{{ (\w+) }}", r"%(\1)s", block))
    return ids


@pytest.fixture
def english():
    """Activate English (the engine's messages come from the project catalog)."""
    with translation.override("en"):
        yield


def test_every_engine_message_has_english():
    translated = {msgid for msgid, text in _read(CATALOG).items() if text}
    ids = engine_message_ids()
    assert len(ids) > 80  # the extraction itself works
    assert sorted(ids - translated) == []


@pytest.mark.usefixtures("english")
def test_english_fixture_translates_engine_messages():
    from madoguchi.procedures.engine.forms import MSG_CONSENT

    assert str(MSG_CONSENT) == "Read the declaration and tick the box if you agree."


def test_japanese_is_the_source():
    from madoguchi.procedures.engine.forms import MSG_CONSENT

    with translation.override("ja"):
        assert str(MSG_CONSENT) == "内容を確認し、同意する場合はチェックを入れてください。"
