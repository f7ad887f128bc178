import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


def openapi_document() -> str:
    from madoguchi.api import api

    return (
        json.dumps(api.get_openapi_schema(path_prefix="/api/v1"), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    )


class Command(BaseCommand):
    help = "Write the OpenAPI document of /api/v1 (committed as docs/api/openapi.json)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", default="docs/api/openapi.json")

    def handle(self, *args: Any, output: str, **options: Any) -> None:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(openapi_document(), encoding="utf-8")
        self.stdout.write(f"Wrote {output}")
