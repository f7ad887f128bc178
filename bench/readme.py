"""bench/README.md holds one section per benchmark; each script replaces only its own section."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parent / "README.md"
HEADER = "# Benchmarks\n\nRun with `make bench` (or each `bench/*.py --help`). Results: `bench/results/*.json`.\n"


def replace_section(title: str, lines: list[str]) -> None:
    """Replace the section whose heading is `## <title>` (up to the next `## `) with `lines`, or append it."""
    text = README.read_text(encoding="utf-8") if README.exists() else HEADER
    heading = f"## {title}"
    body = "\n".join([heading, *lines]).rstrip() + "\n"
    if heading in text:
        before, rest = text.split(heading, 1)
        after = rest.split("\n## ", 1)
        tail = ("\n## " + after[1]) if len(after) > 1 else ""
        text = before.rstrip() + "\n\n" + body + tail
    else:
        text = text.rstrip() + "\n\n" + body
    README.write_text(text.rstrip() + "\n", encoding="utf-8")
