"""Upscribes and offers: receivers of other rooms' signals (connected in PartnersConfig.ready())."""

from __future__ import annotations
