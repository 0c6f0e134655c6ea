"""How the referrals app reacts to what the rooms below it announce (connected in ready())."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from referrals.services import team_setup_referrals
from sparkloop.models import Team
from sparkloop.signals import team_created


@receiver(team_created, dispatch_uid="referrals.team_created")
def on_team_created(sender: type[Team], *, team: Team, **kwargs: Any) -> None:
    team_setup_referrals(team=team)
