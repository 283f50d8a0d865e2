"""A page's text compared with the snapshot taken before a rewrite: the pages read as plain
values (the referral page, the chart, the day view) keep what they show. `PAGE_TEXT_UPDATE=1`
rewrites the snapshots instead; say why in the commit."""

import difflib
import os
from pathlib import Path


def compare_snapshot(folder: Path, name: str, text: str) -> None:
    snapshot = folder / f"{name}.txt"
    if os.environ.get("PAGE_TEXT_UPDATE") == "1":
        folder.mkdir(exist_ok=True)
        snapshot.write_text(text)
        return
    before = snapshot.read_text()
    diff = "\n".join(
        difflib.unified_diff(before.splitlines(), text.splitlines(), "before", "now", lineterm="")
    )
    assert text == before, f"{name}:\n{diff}"
