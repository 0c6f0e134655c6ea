"""Offers and hosted pages: openapi."""

from __future__ import annotations
