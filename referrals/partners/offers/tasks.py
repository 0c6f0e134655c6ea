"""Offers and hosted pages: tasks."""

from __future__ import annotations
