"""Example definitions shipped with the engine (also used by the docs and tests): engine/fixtures/*.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"


def example_json(name: str) -> dict[str, Any]:
    """The raw JSON of an example, e.g. "juminhyo" (住民票の写し等交付申請)."""
    if not name.isidentifier():
        raise FileNotFoundError(name)
    with (FIXTURES / f"{name}.json").open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def load_example(name: str) -> Any:
    """An example as a validated FormDefinition."""
    from .definition import validate_definition

    return validate_definition(example_json(name))
