"""Raw statements beyond the ORM: Django's own SQL for a model's INSERT, for statements that do
more in the same round trip (compiled_insert), a big read planned once per connection
(execute_prepared), and the one row a filter can match without first()'s ORDER BY
(one_or_none).

A booking stores its session with its history row, a message with its events, an estimate
with its priced lines: each as one statement of data-modifying CTEs around the INSERT that
Model.save() (or bulk_create) would have run, so that all of it is written or, on a
constraint's error, none, in one round trip."""

import functools
import hashlib
import re
import weakref
from collections.abc import Mapping, Sequence

from django.db import connection, models
from django.db.models import QuerySet
from django.db.models.sql import InsertQuery


def one_or_none(queryset: QuerySet) -> models.Model | None:
    """The row of a queryset whose filter matches one row at most (a primary key, a unique
    constraint), or None. first() would add an ORDER BY, and to place it Django hashes each
    selected column's expression (about 25 µs each, through inspect.signature): 0.6 ms for the
    signed-in user on every page, more with select_related."""
    return next(iter(queryset.order_by()[:1]), None)


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


# Statements run as prepared statements (execute_prepared): for each physical connection (the
# psycopg2 connection object, which a reconnect replaces), the names PREPAREd on it: True, or
# None when a round trip that carried the PREPARE failed and it is not known whether the
# PREPARE ran. psycopg2's connection takes no attributes, hence the weak mapping: an entry goes
# with its connection.
_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_NO_SUCH_STATEMENT = "26000"  # invalid_sql_statement_name
_ALREADY_PREPARED = "42P05"  # duplicate_prepared_statement
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%s|%%")


@functools.cache
def _prepared_form(sql: str) -> tuple[str, str, tuple]:
    """(name, the PREPARE's body, the keys of its parameters in $1, $2... order). The body keeps
    `%%`, as it goes to the server through psycopg2's interpolation with the EXECUTE's values."""
    keys: list = []
    positional = 0

    def number(match: re.Match) -> str:
        nonlocal positional
        if match.group(0) == "%%":
            return "%%"
        if match.group(1) is None:  # %s: the next of a sequence of parameters
            keys.append(positional)
            positional += 1
            return f"${len(keys)}"
        if match.group(1) not in keys:
            keys.append(match.group(1))
        return f"${keys.index(match.group(1)) + 1}"

    body = _PLACEHOLDER.sub(number, sql)
    name = "portal_" + hashlib.blake2b(sql.encode(), digest_size=8).hexdigest()
    return name, body, tuple(keys)


# For execute_prepared's `before`: the prepared statement's generic plan, for that round trip
# (docs/DEVELOPING.md says when).
GENERIC_PLAN = "SET LOCAL plan_cache_mode = force_generic_plan"


def execute_prepared(
    cursor, sql: str, params: Mapping | Sequence = (), *, before: str = ""
) -> None:
    """cursor.execute(sql, params), planned once per connection instead of once per call: the
    first call on a physical connection sends `PREPARE name AS sql; EXECUTE name(...)` in one
    round trip, the next ones `EXECUTE name(...)`; PostgreSQL switches to a generic plan after
    five executions when it costs no more than the custom ones. The name is a hash of the SQL,
    so a changed statement is prepared under a new name. One statement either way (query counts
    do not change). For a fixed text (a module's constant): each text is kept, and prepared on
    every connection. A parameter must be a single value (a list is an array), not a tuple for
    `IN %s`. Works in and out of transactions: PREPARE is not undone by a rollback, and a round
    trip that failed is checked against pg_prepared_statements before the next. `before`, a
    statement without parameters (a SET LOCAL), goes first in the same round trip. See
    docs/DEVELOPING.md for when it pays, and the PgBouncer caveat."""
    name, body, keys = _prepared_form(sql)
    values = [params[key] for key in keys]
    execute = f"EXECUTE {name}({', '.join(['%s'] * len(values))})" if values else f"EXECUTE {name}"
    raw = cursor.cursor.connection  # psycopg2's: a new one after every reconnect
    prepared = _PREPARED.setdefault(raw, {})
    state = prepared.get(name, False)
    if state is None:
        # An earlier round trip with the PREPARE failed: it may or may not have run (PREPARE is
        # not undone by a rollback, and an error in its EXECUTE leaves it in place).
        cursor.execute("SELECT EXISTS (SELECT FROM pg_prepared_statements WHERE name = %s)", [name])
        (state,) = cursor.fetchone()
        prepared[name] = state or False
    if before:
        execute = f"{before};\n{execute}"
    if state:
        try:
            cursor.execute(execute, values or None)
        except Exception as error:
            if getattr(error.__cause__, "pgcode", None) == _NO_SUCH_STATEMENT:
                # Deallocated behind our back (DISCARD ALL, a pooler's other server
                # connection): prepared again next time.
                prepared[name] = False
            raise
        return
    statement = f"PREPARE {name} AS {body};\n{execute}"
    if not values:
        statement = statement.replace("%%", "%")
    prepared[name] = None
    try:
        cursor.execute(statement, values or None)
    except Exception as error:
        if getattr(error.__cause__, "pgcode", None) == _ALREADY_PREPARED:
            prepared[name] = True  # by someone else on this server connection (a pooler's)
        raise
    prepared[name] = True
