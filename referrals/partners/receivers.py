"""How the partners app reacts to the plumbing: every new team gets its partner profile.

Connected in PartnersConfig.ready(); runs inside `team_create`'s transaction. The receivers
of subscriber changes (settlement's rejections) live in `earnings/receivers.py`.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from referrals.partners.catalog.services import partner_profile_setup
from sparkloop.models import Team
from sparkloop.signals import team_created


@receiver(team_created, dispatch_uid="partners.team_created")
def on_team_created(sender: type[Team], *, team: Team, **kwargs: Any) -> None:
    partner_profile_setup(team=team)
