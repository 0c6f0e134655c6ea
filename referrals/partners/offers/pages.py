"""Offers and hosted pages: pages."""

from __future__ import annotations
