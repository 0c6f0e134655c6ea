"""The API clients of the shared world (tests/conftest.py)."""

from __future__ import annotations

from rest_framework.test import APIClient


class KeyedClient(APIClient):
    """A client authenticated with a team's API key, which it keeps as `raw_key`."""

    raw_key: str
