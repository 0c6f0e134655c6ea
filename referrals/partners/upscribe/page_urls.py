"""Upscribes and offers: the hosted pages' routes (at the site root, via partners/page_urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
