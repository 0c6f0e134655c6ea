"""Campaigns with their rewards and coupon pools, and the screening blocklist."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

from referrals.models import BlocklistEntry, Campaign, Reward, RewardCoupon
from referrals.selectors import LIST_TYPES, counter_name
from sparkloop.exceptions import Conflict, InvalidState, NotFound
from sparkloop.models import Team, TeamCounter
from sparkloop.updates import UNSET, model_update
from webhooks.services import endpoints_delete_for_campaign

M = TypeVar("M", bound=models.Model)

DEFAULT_CAMPAIGN_KEPT = "The default campaign of a team can't be deleted"
GONE = "{model} {pk} not found!"
BLOCKLIST_ENTRY_TAKEN = "The team already blocks this {kind}"

CAMPAIGN_FIELDS = (
    "name",
    "landing_url",
    "verification",
    "holding_days",
    "screening_enabled",
    "referrer_velocity_limit",
    "ip_velocity_limit",
)
REWARD_FIELDS = ("name", "referrals", "recurring", "requires_approval")


def campaign_default(*, team: Team) -> Campaign:
    """The team's default campaign, made on first use if the team predates it."""
    campaign = Campaign.objects.filter(team=team, is_default=True).first()
    if campaign is not None:
        return campaign
    try:
        with transaction.atomic():
            return Campaign.objects.create(team=team, name=team.name, is_default=True)
    except IntegrityError:  # made concurrently
        return Campaign.objects.get(team=team, is_default=True)


@transaction.atomic
def team_setup_referrals(*, team: Team) -> None:
    """What every new team starts with in the referral program (its default campaign)."""
    campaign_default(team=team)


def _locked(instance: M) -> M:
    """The instance's row, locked and as stored (a form may have changed the instance in
    memory already); NotFound if it was deleted meanwhile."""
    fresh = type(instance)._default_manager.select_for_update().filter(pk=instance.pk).first()
    if fresh is None:
        raise NotFound(GONE.format(model=type(instance).__name__, pk=instance.pk))
    return fresh


def _pool(codes: Iterable[str]) -> list[str]:
    """Coupon codes as stored: trimmed, blanks and repeats dropped, in the given order."""
    return list(dict.fromkeys(c.strip() for c in codes if c and c.strip()))


@transaction.atomic
def reward_coupons_add(*, reward: Reward, codes: Iterable[str]) -> int:
    """Add codes to a reward's pool (blanks and codes already in it are skipped).

    Returns how many were added. Safe against a concurrent add of the same codes.
    """
    pool = _pool(codes)
    existing = set(
        RewardCoupon.objects.filter(reward=reward, code__in=pool).values_list("code", flat=True)
    )
    new = [RewardCoupon(reward=reward, code=code) for code in pool if code not in existing]
    RewardCoupon.objects.bulk_create(new, batch_size=5000, ignore_conflicts=True)
    return len(new)


@transaction.atomic
def reward_create(
    *,
    campaign: Campaign,
    name: str,
    referrals: int,
    recurring: bool = False,
    requires_approval: bool = False,
    coupon_codes: Iterable[str] = (),
) -> Reward:
    """A reward of `campaign` with its pool of unique coupon codes (duplicates dropped)."""
    reward = Reward.objects.create(
        team_id=campaign.team_id,
        campaign=campaign,
        name=name,
        referrals=referrals,
        recurring=recurring,
        requires_approval=requires_approval,
    )
    RewardCoupon.objects.bulk_create(
        [RewardCoupon(reward=reward, code=code) for code in _pool(coupon_codes)], batch_size=5000
    )
    return reward


@transaction.atomic
def reward_update(
    *,
    reward: Reward,
    name: str = UNSET,
    referrals: int = UNSET,
    recurring: bool = UNSET,
    requires_approval: bool = UNSET,
) -> Reward:
    """Change a reward; it applies to unlocks from now on (grants made stay as they are)."""
    data = {
        "name": name,
        "referrals": referrals,
        "recurring": recurring,
        "requires_approval": requires_approval,
    }
    reward, _ = model_update(instance=_locked(reward), fields=REWARD_FIELDS, data=data)
    return reward


@transaction.atomic
def reward_delete(*, reward: Reward) -> None:
    """Delete a reward with its coupon pool and the grants made of it."""
    reward.delete()


@transaction.atomic
def campaign_create(
    *,
    team: Team,
    name: str,
    landing_url: str | None = "",
    verification: str = Campaign.Verification.ON_CONFIRMATION,
    holding_days: int = 7,
    screening_enabled: bool = True,
    referrer_velocity_limit: int | None = None,
    ip_velocity_limit: int | None = None,
    rewards: Iterable[dict[str, Any]] = (),
) -> Campaign:
    """Create a (non-default) campaign with its rewards and their coupon pools.

    Two statements for the rewards and their codes, however many (the API bounds both).
    A velocity limit not given is the model's default.
    """
    limits = {
        "referrer_velocity_limit": referrer_velocity_limit,
        "ip_velocity_limit": ip_velocity_limit,
    }
    campaign = Campaign.objects.create(
        team=team,
        name=name,
        landing_url=landing_url or "",
        verification=verification,
        holding_days=holding_days,
        screening_enabled=screening_enabled,
        **{field: value for field, value in limits.items() if value is not None},
    )
    specs = list(rewards)
    created = Reward.objects.bulk_create(
        Reward(
            team_id=team.pk,
            campaign=campaign,
            **{field: spec[field] for field in REWARD_FIELDS if field in spec},
        )
        for spec in specs
    )
    RewardCoupon.objects.bulk_create(
        [
            RewardCoupon(reward=reward, code=code)
            for reward, spec in zip(created, specs, strict=True)
            for code in _pool(spec.get("coupon_codes", ()))
        ],
        batch_size=5000,
    )
    return campaign


@transaction.atomic
def campaign_update(
    *,
    campaign: Campaign,
    name: str = UNSET,
    landing_url: str | None = UNSET,
    verification: str = UNSET,
    holding_days: int = UNSET,
    screening_enabled: bool = UNSET,
    referrer_velocity_limit: int = UNSET,
    ip_velocity_limit: int = UNSET,
) -> Campaign:
    """Update a campaign's settings; a new verification policy or screening setting applies
    to referrals recorded from now on. A null landing URL removes it."""
    data = {
        "name": name,
        "landing_url": "" if landing_url is None else landing_url,
        "verification": verification,
        "holding_days": holding_days,
        "screening_enabled": screening_enabled,
        "referrer_velocity_limit": referrer_velocity_limit,
        "ip_velocity_limit": ip_velocity_limit,
    }
    campaign, _ = model_update(instance=_locked(campaign), fields=CAMPAIGN_FIELDS, data=data)
    return campaign


@transaction.atomic
def campaign_delete(*, campaign: Campaign) -> None:
    """Delete a campaign with its rewards, memberships, referrals and grants, the webhooks
    made under it (API v1) and the counters of its member lists. The people in it stay
    subscribers of the team, with their team-wide referral counts. Raises InvalidState for
    the team's default campaign.
    """
    if campaign.is_default:
        raise InvalidState(DEFAULT_CAMPAIGN_KEPT)
    names = [counter_name(campaign.pk, list_type) for list_type in LIST_TYPES]
    TeamCounter.objects.filter(team_id=campaign.team_id, name__in=names).delete()
    endpoints_delete_for_campaign(team=campaign.team, campaign_uuid=campaign.public_id)
    campaign.delete()


@transaction.atomic
def blocklist_entry_create(
    *, team: Team, kind: str, pattern: str, note: str = ""
) -> BlocklistEntry:
    """Block an email, domain or IP pattern for the team's screening (idempotent)."""
    entry, _ = BlocklistEntry.objects.get_or_create(
        team=team, kind=kind, pattern=pattern.strip().lower(), defaults={"note": note}
    )
    return entry


@transaction.atomic
def blocklist_entry_update(
    *, entry: BlocklistEntry, kind: str = UNSET, pattern: str = UNSET, note: str = UNSET
) -> BlocklistEntry:
    """Change an entry; raises Conflict if the team already has the entry it would become."""
    data = {
        "kind": kind,
        "pattern": pattern if pattern is UNSET else pattern.strip().lower(),
        "note": note,
    }
    entry = _locked(entry)
    try:
        with transaction.atomic():
            entry, _ = model_update(instance=entry, fields=("kind", "pattern", "note"), data=data)
    except IntegrityError:
        raise Conflict(BLOCKLIST_ENTRY_TAKEN.format(kind=entry.kind)) from None
    return entry


@transaction.atomic
def blocklist_entry_delete(*, entry: BlocklistEntry) -> None:
    entry.delete()
