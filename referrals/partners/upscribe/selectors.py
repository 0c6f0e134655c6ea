"""Upscribes and offers: every read that serves a request."""

from __future__ import annotations
