"""Offers and hosted pages: admin."""

from __future__ import annotations
