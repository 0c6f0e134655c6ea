"""How the referrals app reacts to a batch of new subscribers (connected in ready())."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.dispatch import receiver

from referrals.services.attribution_batch import (
    attribution_subscribers_created,
    attribution_subscribers_created_across,
)
from sparkloop.models import Team
from subscribers.batch.signals import subscribers_created, subscribers_created_across
from subscribers.models import Subscriber


@receiver(subscribers_created, dispatch_uid="referrals.subscribers_created")
def on_subscribers_created(
    sender: type[Subscriber],
    *,
    team: Team,
    created: Sequence[tuple[Subscriber, Subscriber | None]],
    send_webhooks: bool = True,
    campaign: str = "",
    **kwargs: Any,
) -> None:
    attribution_subscribers_created(
        team=team, created=created, send_webhooks=send_webhooks, campaign=campaign
    )


@receiver(subscribers_created_across, dispatch_uid="referrals.subscribers_created_across")
def on_subscribers_created_across(
    sender: type[Subscriber], *, created: Sequence[Subscriber], **kwargs: Any
) -> None:
    attribution_subscribers_created_across(created=created)
