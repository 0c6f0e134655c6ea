"""Offers and hosted pages: serializers."""

from __future__ import annotations
