"""Upscribes and offers: a django-filter FilterSet for each list's query filters."""

from __future__ import annotations
