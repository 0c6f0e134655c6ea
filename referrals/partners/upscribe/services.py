"""Upscribes and offers: every write, one transaction each (keyword-only, typed)."""

from __future__ import annotations
