"""Upscribes and offers: the public hosted pages (no key, CSRF, rate-limited)."""

from __future__ import annotations
