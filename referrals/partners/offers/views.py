"""Offers and hosted pages: views."""

from __future__ import annotations
