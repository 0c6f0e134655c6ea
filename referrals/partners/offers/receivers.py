"""Offers and hosted pages: receivers."""

from __future__ import annotations
