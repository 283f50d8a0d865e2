"""Django's own SQL for a model's INSERT, for statements that do more in the same round trip.

A booking stores its session with its history row, a message with its events, an estimate
with its priced lines: each as one statement of data-modifying CTEs around the INSERT that
Model.save() (or bulk_create) would have run, so that all of it is written or, on a
constraint's error, none, in one round trip."""

from collections.abc import Sequence

from django.db import connection, models
from django.db.models.sql import InsertQuery


def compiled_insert(
    objs: Sequence[models.Model],
    *,
    returning: Sequence[str] = ("pk",),
    on_conflict=None,
) -> tuple[str, list]:
    """The INSERT of `objs` (all of one model) with their concrete fields, RETURNING the fields
    named (the primary key by default), as SQL and its parameters. The values are parameters:
    the SQL may be wrapped in a CTE as it is."""
    opts = objs[0]._meta
    fields = [f for f in opts.concrete_fields if not f.primary_key and not f.generated]
    query = InsertQuery(opts.model, on_conflict=on_conflict)
    query.insert_values(fields, objs)
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [
        opts.pk if name == "pk" else opts.get_field(name) for name in returning
    ]
    ((sql, params),) = compiler.as_sql()
    return sql, list(params)
