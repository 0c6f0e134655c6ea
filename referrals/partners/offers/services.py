"""Offers and hosted pages: services."""

from __future__ import annotations
