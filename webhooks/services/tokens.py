"""The team's webhook token (`SparkLoop-Token`): rotation with a grace for the previous one."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from sparkloop.models import Team, new_webhook_token

DEFAULT_TOKEN_GRACE = timedelta(hours=24)


@transaction.atomic
def team_webhook_token_rotate(*, team: Team, grace: timedelta = DEFAULT_TOKEN_GRACE) -> Team:
    """Give the team a new webhook token, sent as `SparkLoop-Token` from now on.

    During `grace` the previous token stays readable (`GET /v2/webhooks/token`) and is sent
    as `SparkLoop-Token-Previous`, so that receivers can accept either while they switch
    over; a grace of 0 forgets it at once.
    """
    team = Team.objects.select_for_update().get(pk=team.pk)
    keep = grace > timedelta(0)
    team.previous_webhook_token = team.webhook_token if keep else ""
    team.previous_webhook_token_expires_at = timezone.now() + grace if keep else None
    team.webhook_token = new_webhook_token()
    team.save(
        update_fields=[
            "webhook_token",
            "previous_webhook_token",
            "previous_webhook_token_expires_at",
        ]
    )
    return team
