"""Helpers of the admin tests (they log in with pytest-django's `admin_client`: force_login)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.contrib.messages import get_messages

if TYPE_CHECKING:  # the test client's response, as django-stubs names it
    from django.test.client import _MonkeyPatchedWSGIResponse


def messages_of(response: _MonkeyPatchedWSGIResponse) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def count_queries_on(sql_list: list[str], table: str) -> list[str]:
    """The COUNT queries among `sql_list` that read `table`."""
    return [sql for sql in sql_list if re.search(r"COUNT\(", sql) and f'"{table}"' in sql]
