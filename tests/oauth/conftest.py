"""The OAuth tests hash client secrets and passwords with a fast hasher."""

from __future__ import annotations

from tests.oauth.helpers import fast_hashers

__all__ = ["fast_hashers"]
