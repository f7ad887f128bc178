"""The English catalog is complete and keeps every placeholder; the build compiles it without gettext."""

import re
from pathlib import Path

from babel.messages.pofile import read_po

CATALOG = Path(__file__).resolve().parent.parent / "src" / "madoguchi" / "locale" / "en" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\{\s*[\w.]+\s*\}\}|%[sd]")


def _messages():
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="en")
    return [message for message in catalog if message.id]


def test_every_message_is_translated_and_not_fuzzy():
    missing = []
    for message in _messages():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    assert missing == [], f"{len(missing)} untranslated or fuzzy: {missing[:10]}"


def test_placeholders_survive_translation():
    broken = []
    for message in _messages():
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = sorted(PLACEHOLDER.findall(ids[-1]))
        for translated in strings:
            if translated and sorted(PLACEHOLDER.findall(translated)) != expected:
                broken.append((ids[0], translated))
    assert broken == []


def test_no_japanese_source_string_is_left_outside_gettext_in_templates():
    """Visible Japanese text in templates must go through {% translate %} / {% blocktranslate %}."""
    root = Path(__file__).resolve().parent.parent / "src" / "madoguchi"
    japanese = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    offenders = []
    for template in root.glob("**/templates/**/*.html"):
        text = template.read_text(encoding="utf-8")
        # Drop translated blocks, template comments and tags; what remains is literal markup and text.
        stripped = re.sub(r"{%\s*blocktranslate.*?{%\s*endblocktranslate\s*%}", "", text, flags=re.S)
        stripped = re.sub(r"{%.*?%}|{{.*?}}|{#.*?#}", "", stripped, flags=re.S)
        for line in stripped.splitlines():
            # A language's own name in the switcher (lang="ja") is deliberately untranslated.
            if japanese.search(line) and 'lang="ja"' not in line:
                offenders.append(f"{template.relative_to(root)}: {line.strip()[:60]}")
    assert offenders == []


def test_catalog_is_up_to_date_with_the_sources():
    """Every literal passed to {% translate %} or _() has an entry: run `make catalog` and translate it."""
    with CATALOG.open("rb") as handle:
        known = {
            message.id if isinstance(message.id, str) else message.id[0] for message in read_po(handle, locale="en")
        }
    root = Path(__file__).resolve().parent.parent / "src" / "madoguchi"
    template_literal = re.compile(r"""{%\s*translate\s+"([^"]+)"\s*%}""")
    python_literal = re.compile(r"""\b(?:_|gettext|gettext_lazy)\(\s*"([^"\\]+)"\s*[,)]""")
    missing = set()
    for template in root.glob("**/templates/**/*.html"):
        missing |= set(template_literal.findall(template.read_text(encoding="utf-8"))) - known
    for source in root.glob("**/*.py"):
        if "migrations" in source.parts:
            continue
        missing |= {
            text
            for text in python_literal.findall(source.read_text(encoding="utf-8"))
            if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text)
        } - known
    assert sorted(missing) == [], "run `make catalog` and translate the new strings"
