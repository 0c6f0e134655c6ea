"""Writes of teams and API keys."""

from __future__ import annotations

import secrets

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from sparkloop.api.authentication import api_key_forget
from sparkloop.models import ApiKey, Team, hash_api_key
from sparkloop.signals import team_created


@transaction.atomic
def team_create(*, name: str, rate_limit_tier: str = Team.RateLimitTier.DEFAULT) -> Team:
    """Create a team with everything a team starts with.

    The apps above the plumbing (its default referral campaign, its partner profile) react
    to `team_created`, sent in this transaction.
    """
    team = Team.objects.create(name=name, rate_limit_tier=rate_limit_tier)
    team_created.send(sender=Team, team=team)
    return team


def team_get_or_create(*, name: str) -> tuple[Team, bool]:
    team = Team.objects.filter(name=name).first()
    if team is not None:
        return team, False
    try:
        return team_create(name=name), True
    except IntegrityError:  # created concurrently
        return Team.objects.get(name=name), False


@transaction.atomic
def api_key_create(*, team: Team, name: str = "default") -> tuple[ApiKey, str]:
    """Create a key; returns it with the raw key, which is never stored and shown once."""
    raw = secrets.token_hex(16)
    key = ApiKey.objects.create(
        team=team, name=name, prefix=raw[: ApiKey.PREFIX_LENGTH], key_hash=hash_api_key(raw)
    )
    return key, raw


@transaction.atomic
def api_key_revoke(*, key: ApiKey) -> ApiKey:
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db()
    api_key_forget(key)  # refused from the next request on, not when its cache entry expires
    return key


@transaction.atomic
def staff_superuser_ensure(*, username: str, password: str) -> tuple[User, bool]:
    """The superuser `username`, made with `password` if it doesn't exist (then True); an
    existing account is left as it is, its password included."""
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user, False
    return User.objects.create_superuser(username=username, email="", password=password), True
