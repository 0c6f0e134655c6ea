"""Prepared statements for the hot paths' written-out statements.

Django binds parameters on the client and never prepares (its default, for connection
poolers), so PostgreSQL parses and plans every statement anew. For a read of many joined
tables on every request (an upscribe subscribe's picked recommendations: seven tables, ~2 ms
of planning for ~0.5 ms of work), and for the short statements of the hot write paths
(set-based INSERTs, budget reservations, counters, the outbox's events: each planned in
0.03-0.2 ms for a run of about as long), `prepared_cursor()` gives a cursor that binds on
the server and prepares each statement once per connection: after its first runs PostgreSQL
keeps a generic plan and plans it no more. psycopg forgets (and deallocates) its prepared
statements on a rollback, so a statement prepared in a rolled-back transaction is prepared
again. Statements are logged as sent (`$1` placeholders, not the values).

`DATABASE_PREPARED_STATEMENTS=false` turns it off (a plain cursor), for a transaction-mode
connection pooler that cannot keep prepared statements (PgBouncer before 1.21).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection
from django.db.backends.utils import CursorWrapper

# Prepared when asked, not after some number of runs.
_NEVER_BY_COUNT = 2**31 - 1


class _PreparingCursor(psycopg.Cursor[Any]):
    """psycopg's server-side binding cursor, preparing every statement it runs."""

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        kwargs["prepare"] = True
        return super().execute(query, params, **kwargs)

    def _send_query_prepared(self, name: bytes, pgq: Any, **kwargs: Any) -> None:
        # psycopg keeps the query it ran for `_query` (which Django's query log and
        # CaptureQueriesContext read) only when it does not prepare: keep it here too.
        self._query = pgq
        super()._send_query_prepared(name, pgq, **kwargs)


@contextmanager
def prepared_cursor() -> Iterator[CursorWrapper]:
    """A cursor of the default connection whose statements are prepared (on PostgreSQL,
    unless DATABASE_PREPARED_STATEMENTS is off); else Django's usual cursor. Queries are
    written with `%s` placeholders either way; run through Django's wrappers (query
    logging, execute wrappers) like any cursor's."""
    if connection.vendor != "postgresql" or not settings.DATABASE_PREPARED_STATEMENTS:
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django leaves it None, which makes psycopg refuse to prepare even when asked.
        # Its own cursors bind on the client and never prepare whatever the threshold.
        raw.prepare_threshold = _NEVER_BY_COUNT
    with connection.wrap_database_errors:
        cursor = connection._prepare_cursor(_PreparingCursor(raw))  # type: ignore[attr-defined]
    with cursor:
        yield cursor
