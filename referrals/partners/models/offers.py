"""Offers and offer submissions (issue 10; owned by the offers subpackage). Imported by
models/__init__.py so that the models defined here are registered."""

from __future__ import annotations
