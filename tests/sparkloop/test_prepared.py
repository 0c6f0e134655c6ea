"""`prepared_cursor`: hot reads prepared once per connection on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from sparkloop.prepared import prepared_cursor

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

SQL = "SELECT %s::int + 1 AS answer, 'prepared-test' AS tag"


def _prepared() -> list[Any]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%prepared-test%"],
        )
        return list(cursor.fetchall())


def _run(value: int) -> int:
    with prepared_cursor() as cursor:
        cursor.execute(SQL, [value])
        answer, _tag = cursor.fetchone()
    return int(answer)


def test_a_statement_is_prepared_once_and_logged_like_any_other() -> None:
    with CaptureQueriesContext(connection) as queries:
        assert [_run(n) for n in range(8)] == [n + 1 for n in range(8)]
    assert len(queries) == 8
    # Each run's statement is in the query log (psycopg keeps none for a prepared one).
    assert {q["sql"] for q in queries.captured_queries} == {
        "SELECT $1::int + 1 AS answer, 'prepared-test' AS tag"
    }
    assert len(_prepared()) == 1


def test_a_rolled_back_transaction_takes_its_prepared_statement_along_harmlessly() -> None:
    seen: list[int] = []

    def prepare_then_fail() -> None:
        with transaction.atomic():
            seen.extend([_run(1), len(_prepared())])
            raise RuntimeError

    with pytest.raises(RuntimeError):
        prepare_then_fail()
    assert seen == [2, 1]
    # psycopg forgot it with the rollback: prepared again, no "does not exist" error.
    assert _run(2) == 3
    assert _run(3) == 4
    assert len(_prepared()) == 1


def test_it_can_be_turned_off(settings: Any) -> None:
    settings.DATABASE_PREPARED_STATEMENTS = False
    assert _run(5) == 6
    assert _prepared() == []
