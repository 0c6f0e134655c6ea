"""Referral campaigns and rewards (see the referral campaigns issue)."""

from __future__ import annotations
