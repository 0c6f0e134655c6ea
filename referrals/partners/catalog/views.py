"""The partner catalogue: the API views (thin: parse, call a service or selector, render)."""

from __future__ import annotations
