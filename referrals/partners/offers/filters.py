"""Offers and hosted pages: filters."""

from __future__ import annotations
