"""Offers: API routes (under /v2/ and /api/v2/, via partners/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
