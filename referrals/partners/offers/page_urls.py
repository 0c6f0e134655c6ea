"""The hosted pages' routes (at the site root, via partners/page_urls.py): /p/, /r/, /o/."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
