"""Offers and hosted pages: selectors."""

from __future__ import annotations
