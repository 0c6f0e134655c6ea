"""Partner earnings: the webhook payloads of the partner referral events (partners.md)."""

from __future__ import annotations
