"""Rows streamed into PostgreSQL with COPY, in chunks, with ids handed out beforehand."""

from __future__ import annotations

import datetime as dt
import io


def _text(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return "{" + ",".join(value) + "}"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


class Copier:
    """Streams rows into one table with COPY, in chunks, and hands out ids."""

    CHUNK = 100_000

    def __init__(
        self, cursor, model, columns: list[str], after: tuple[Copier, ...] = (), sort_by=None
    ):
        self.cursor = cursor
        self.sort_by = sort_by  # column index to order by; rows are then held until finish()
        self.held: list[tuple] = []
        # Tables whose rows must be in first (a foreign key that is checked at once).
        self.after = after
        self.table = model._meta.db_table
        self.columns = columns
        self.buffer: list[str] = []
        self.count = 0
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {self.table}")  # noqa: S608
        self.next_id = cursor.fetchone()[0] + 1

    def new_id(self) -> int:
        value = self.next_id
        self.next_id += 1
        return value

    def add(self, row: tuple) -> None:
        line = "\t".join(map(_text, row))
        if self.sort_by is not None:
            self.held.append((row[self.sort_by], line))
            return
        self.buffer.append(line)
        if len(self.buffer) >= self.CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        for other in self.after:
            other.flush()
        data = io.StringIO("\n".join(self.buffer) + "\n")
        self.cursor.copy_expert(f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN", data)
        self.count += len(self.buffer)
        self.buffer = []

    def finish(self) -> None:
        if self.sort_by is not None:
            # Held back and written in time order: the exclusion constraints' GiST indexes
            # take rows far faster in order than scattered over five years.
            self.held.sort(key=lambda item: item[0])
            for other in self.after:
                other.flush()
            for _key, line in self.held:
                self.buffer.append(line)
                if len(self.buffer) >= self.CHUNK:
                    self.flush()
            self.held = []
        self.flush()
        self.cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{self.table}', 'id'), "  # noqa: S608
            f"GREATEST((SELECT MAX(id) FROM {self.table}), 1))"
        )


def _cols(model) -> list[str]:
    # A generated column (Referral.search_name) is PostgreSQL's to fill.
    return [f.column for f in model._meta.concrete_fields if not f.generated]
