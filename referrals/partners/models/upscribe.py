"""Upscribes, their per-upscribe recommendation settings and impressions (issue 10; owned
by the upscribe subpackage). Imported by models/__init__.py so that the
models defined here are registered."""

from __future__ import annotations
