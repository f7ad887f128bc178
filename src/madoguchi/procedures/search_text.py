"""What the staff inbox search looks in: one folded text per application (pure; also used by a migration)."""

from __future__ import annotations

from typing import Any

from madoguchi.core.search import fold

# Keys of a file answer that are storage details, not something a person typed.
_NOT_TYPED = frozenset({"ref", "sha256", "size", "content_type"})
MAX_SEARCH_TEXT = 20_000


def _leaves(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int | float):
        return [str(value)]
    if isinstance(value, dict):
        texts = [text for key, item in value.items() if key not in _NOT_TYPED for text in _leaves(item)]
        if "family_name" in value:  # a 氏名 answer: also 「山田太郎」 and 「ヤマダタロウ」 as typed without a space
            texts.append(f"{value.get('family_name', '')}{value.get('given_name', '')}")
            texts.append(f"{value.get('family_name_kana', '')}{value.get('given_name_kana', '')}")
        return texts
    if isinstance(value, list):
        return [text for item in value for text in _leaves(item)]
    return []


def submission_search_text(*, receipt_number: str, email: str, answers: dict[str, Any]) -> str:
    """Receipt number, e-mail and every typed answer, folded (width, case, katakana → hiragana), so 「ヤマダ」
    「やまだ」 and 「ﾔﾏﾀﾞ」 find the same application. Short answers come first, so the bound cuts long texts."""
    leaves = sorted(_leaves(answers), key=len)
    return fold("\n".join(part for part in [receipt_number, email, *leaves] if part))[:MAX_SEARCH_TEXT]
