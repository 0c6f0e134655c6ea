"""Upscribes and offers: the OpenAPI descriptions of the views (drf-spectacular, real examples)."""

from __future__ import annotations
