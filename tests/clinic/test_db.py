"""clinic.db.execute_prepared: a statement PREPAREd once per physical connection, then
EXECUTEd; prepared again on a new connection; a failure, rolled back, breaks nothing."""

import uuid

import pytest
from django.db import DataError, InternalError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from clinic.db import _prepared_form, execute_prepared, one_or_none
from clinic.models import User
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db


def _statement() -> str:
    """A statement no other test (on this connection, which outlives each test's transaction,
    as its prepared statements do) has prepared: a new name each time."""
    return f"SELECT 10 / %(d)s::int, %(word)s::text || '%%' /* {uuid.uuid4()} */"


def _prepared(cursor, name: str) -> bool:
    cursor.execute("SELECT EXISTS (SELECT FROM pg_prepared_statements WHERE name = %s)", [name])
    return cursor.fetchone()[0]


def test_the_form_numbers_each_name_once_and_keeps_percent_signs():
    name, body, keys = _prepared_form("SELECT %(a)s, %(b)s, %(a)s, '%%'")
    assert (body, keys) == ("SELECT $1, $2, $1, '%%'", ("a", "b"))
    assert name.startswith("portal_")
    assert _prepared_form("SELECT %s, %s")[1:] == ("SELECT $1, $2", (0, 1))
    assert _prepared_form("SELECT %(a)s, %(b)s, %(a)s, '%%' ")[0] != name  # another statement


def test_it_prepares_once_per_connection_and_answers_as_execute_would():
    sql = _statement()
    name = _prepared_form(sql)[0]
    with CaptureQueriesContext(connection) as queries, connection.cursor() as cursor:
        for d in (1, 2, 5, 10, 2, 1, 5):  # past the five custom plans
            execute_prepared(cursor, sql, {"d": d, "word": "a"})
            assert cursor.fetchall() == [(10 // d, "a%")]
    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) == 7  # one round trip each, the first with its PREPARE
    assert statements[0].startswith(f"PREPARE {name} AS SELECT 10 / $1::int, $2::text || '%'")
    assert all(s.startswith(f"EXECUTE {name}(") for s in statements[1:])
    with connection.cursor() as cursor:
        assert _prepared(cursor, name)


def test_a_setting_given_before_goes_with_the_statement():
    """'Next call' sends SET LOCAL synchronous_commit with its claim, in the same round trip,
    prepared or not: the statement runs under it."""
    sql = f"SELECT current_setting('lock_timeout'), %(d)s::int /* {uuid.uuid4()} */"
    with CaptureQueriesContext(connection) as queries, connection.cursor() as cursor:
        for d in (1, 2):
            execute_prepared(cursor, sql, {"d": d}, before="SET LOCAL lock_timeout = '1234ms'")
            assert cursor.fetchall() == [("1234ms", d)]
    assert len(queries) == 2


def test_a_new_connection_prepares_again():
    sql = _statement()
    name = _prepared_form(sql)[0]
    with connection.cursor() as cursor:
        execute_prepared(cursor, sql, {"d": 1, "word": "b"})
    other = connections.create_connection("default")  # a reconnect: a new server session
    try:
        with CaptureQueriesContext(other) as queries, other.cursor() as cursor:
            assert not _prepared(cursor, name)
            execute_prepared(cursor, sql, {"d": 2, "word": "b"})
            assert cursor.fetchall() == [(5, "b%")]
            execute_prepared(cursor, sql, {"d": 5, "word": "b"})
            assert cursor.fetchall() == [(2, "b%")]
        assert [q["sql"][:7] for q in queries.captured_queries[1:]] == ["PREPARE", "EXECUTE"]
    finally:
        other.close()


def test_an_error_in_the_first_execution_rolled_back_breaks_nothing():
    sql = _statement()
    name = _prepared_form(sql)[0]
    with transaction.atomic():
        with pytest.raises(DataError), transaction.atomic():
            execute_prepared(connection.cursor(), sql, {"d": 0, "word": "c"})  # 10 / 0
        # The PREPARE ran, and the rollback to the savepoint did not undo it: used as it is.
        with CaptureQueriesContext(connection) as queries, connection.cursor() as cursor:
            execute_prepared(cursor, sql, {"d": 1, "word": "c"})
            assert cursor.fetchall() == [(10, "c%")]
            assert _prepared(cursor, name)
    assert "PREPARE" not in " ".join(q["sql"] for q in queries.captured_queries)


def test_a_prepare_in_a_failed_transaction_is_made_again_after_its_rollback():
    sql = _statement()
    name = _prepared_form(sql)[0]
    with transaction.atomic():
        with pytest.raises(InternalError), transaction.atomic(), connection.cursor() as cursor:
            with pytest.raises(DataError):
                cursor.execute("SELECT 1 / 0")
            execute_prepared(cursor, sql, {"d": 1, "word": "d"})  # refused: not prepared
        with connection.cursor() as cursor:
            assert not _prepared(cursor, name)
            execute_prepared(cursor, sql, {"d": 2, "word": "d"})
            assert cursor.fetchall() == [(5, "d%")]
            assert _prepared(cursor, name)
            execute_prepared(cursor, sql, {"d": 5, "word": "d"})
            assert cursor.fetchall() == [(2, "d%")]


def test_a_statement_deallocated_behind_its_back_is_prepared_again():
    sql = _statement()
    with connection.cursor() as cursor:
        execute_prepared(cursor, sql, {"d": 1, "word": "e"})
        cursor.execute(f"DEALLOCATE {_prepared_form(sql)[0]}")  # as DISCARD ALL would
        with pytest.raises(Exception, match="does not exist"), transaction.atomic():
            execute_prepared(cursor, sql, {"d": 1, "word": "e"})
        execute_prepared(cursor, sql, {"d": 10, "word": "e"})
        assert cursor.fetchall() == [(1, "e%")]


def test_one_or_none_reads_the_one_row_without_an_order_by(django_assert_num_queries):
    """one_or_none: the row a primary-key filter matches, or None, in one statement with no
    ORDER BY (first()'s would cost Django a hash of each selected column's expression)."""
    user = UserFactory()
    with django_assert_num_queries(2) as queries:
        assert one_or_none(User.objects.filter(pk=user.pk)) == user
        assert one_or_none(User.objects.filter(pk=user.pk + 10_000)) is None
    assert all("ORDER BY" not in q["sql"] for q in queries.captured_queries)
