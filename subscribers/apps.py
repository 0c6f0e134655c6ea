"""Subscribers: a team's subscribers, their status life cycle and their value events."""

from __future__ import annotations

from django.apps import AppConfig


class SubscribersConfig(AppConfig):
    name = "subscribers"
