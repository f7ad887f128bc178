"""`python -m madoguchi faq rank --corpus FILE --queries FILE --top 10 --output FILE`

Indexes a corpus JSON shaped like LocalGovFAQ's (`{faq_id: "Question: …\\nAnswer: …"}`) with the same
ranking the chatbot uses, ranks every query of a queries JSON (`{query_id: text}`) and writes
`{query_id: [faq_id, …]}`. Needs no database.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


def _read_object(path: str, what: str) -> dict[str, str]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise CommandError(f"Cannot read the {what} file {path}: {exc.strerror}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CommandError(f"The {what} file {path} is not UTF-8 JSON: {exc}") from exc
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise CommandError(f"The {what} file {path} must be a JSON object of strings: {{id: text}}.")
    return data


class Command(BaseCommand):
    help = "FAQ retrieval tools: `faq rank` ranks queries against a corpus JSON."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        rank = sub.add_parser("rank", help="Rank each query against the corpus and write the top FAQ ids.")
        rank.add_argument("--corpus", required=True, help='JSON {faq_id: "Question: …\\nAnswer: …"}')
        rank.add_argument("--queries", required=True, help="JSON {query_id: text}")
        rank.add_argument("--top", type=int, default=10, help="how many FAQ ids per query (1–100, default 10)")
        rank.add_argument("--output", required=True, help="where to write {query_id: [faq_id, …]}")

    def handle(self, *args: Any, **options: Any) -> None:
        from madoguchi.faq import retrieval

        top = options["top"]
        if not 1 <= top <= 100:
            raise CommandError("--top must be between 1 and 100.")
        corpus = _read_object(options["corpus"], "corpus")
        queries = _read_object(options["queries"], "queries")
        started = time.perf_counter()
        index = retrieval.Index.build(retrieval.split_question_answer(key, text) for key, text in corpus.items())
        built = time.perf_counter() - started
        result = {qid: [hit.id for hit in index.rank(text, top=top).hits] for qid, text in queries.items()}
        try:
            Path(options["output"]).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot write {options['output']}: {exc.strerror}") from exc
        self.stdout.write(
            f"Indexed {len(index)} FAQs in {built:.2f} s; ranked {len(result)} queries into {options['output']}."
        )
