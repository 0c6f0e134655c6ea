"""The partner catalogue: every write, one transaction each (keyword-only, typed)."""

from __future__ import annotations

from django.db import transaction

from referrals.partners.models import PartnerProfile
from sparkloop.models import Team


@transaction.atomic
def partner_profile_setup(*, team: Team) -> PartnerProfile:
    """Give `team` its partner profile (named after the team) unless it has one.

    Called by the `team_created` receiver inside `team_create`'s transaction; the data
    migration 0002 did the same for the teams that existed before.
    """
    profile, _ = PartnerProfile.objects.get_or_create(team=team, defaults={"name": team.name})
    return profile
