"""Random public identifiers (`sub_…`, `MF…`): random, prefixed hex, never the primary key."""

from __future__ import annotations

import secrets


def make_public_id(prefix: str, hex_chars: int = 12) -> str:
    return prefix + secrets.token_hex((hex_chars + 1) // 2)[:hex_chars]
