"""Partner earnings: payouts (the monthly job and the staff's decisions), one transaction
each, re-exported by `services`.

A payout takes a partner's balance of the months before its run (the ledger's lines created
before the 1st) with a `paid_out` line of minus that amount; it pays that amount less the
platform fee (`PARTNER_PLATFORM_FEE_PERCENT`). A failed payout's `reversed` line puts the
amount back in the balance, so the next month's payout takes it again.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from referrals.partners.earnings.payloads import payout_payload
from referrals.partners.earnings.selectors import month_of, partner_balance_cents
from referrals.partners.models import EarningsEntry, PartnerProfile, Payout
from sparkloop.exceptions import InvalidState, ServiceError
from webhooks.models import Event
from webhooks.services import event_record

PAYOUT_NOT_PENDING = "Payout {uuid} is not pending"
REFERENCE_REQUIRED = "Reference can't be blank"


def payout_minimum_cents() -> int:
    return round(float(settings.PARTNER_PAYOUT_MINIMUM_DOLLARS) * 100)


def payout_fee_cents(gross_cents: int) -> int:
    return round(gross_cents * float(settings.PARTNER_PLATFORM_FEE_PERCENT) / 100)


def payouts_create(*, today: date | None = None) -> list[Payout]:
    """Make one payout per partner profile whose confirmed, unpaid earnings of the months
    before `today`'s reach `PARTNER_PAYOUT_MINIMUM_DOLLARS`, each with its `paid_out`
    ledger line, and publish `payout_created` to the partner's team. One transaction per
    payout; safe to run twice for a period (one payout per partner and period: the
    profile's row is locked, and the database holds the rule)."""
    today = today or timezone.now().date()
    month_start = month_of(today)
    minimum = payout_minimum_cents()
    candidates = (
        EarningsEntry.objects.filter(created_at__date__lt=month_start)
        .values("partner_profile_id")
        .annotate(balance=Sum("amount_cents"))
        .filter(balance__gte=max(minimum, 1))
        .order_by("partner_profile_id")
        .values_list("partner_profile_id", flat=True)
    )
    made = []
    for profile_id in list(candidates):
        payout = _payout_create(profile_id=profile_id, month_start=month_start, minimum=minimum)
        if payout is not None:
            made.append(payout)
    return made


@transaction.atomic
def _payout_create(*, profile_id: int, month_start: date, minimum: int) -> Payout | None:
    profile = PartnerProfile.objects.select_for_update().get(pk=profile_id)
    period_end = month_start - timedelta(days=1)
    if Payout.objects.filter(partner_profile=profile, period_end=period_end).exists():
        return None  # this period's payout was made (a second run)
    gross = partner_balance_cents(profile.pk, before=month_start)
    if gross < max(minimum, 1):
        return None
    last = Payout.objects.filter(partner_profile=profile).order_by("-period_end").first()
    if last is not None:
        period_start = last.period_end + timedelta(days=1)
    else:
        first = EarningsEntry.objects.filter(partner_profile=profile).order_by("created_at").first()
        period_start = month_of(first.created_at.date()) if first else month_of(period_end)
    referrals = EarningsEntry.objects.filter(  # referrals only, not offer conversions
        partner_profile=profile,
        kind=EarningsEntry.Kind.EARNED,
        referral__isnull=False,
        created_at__date__gte=period_start,
        created_at__date__lt=month_start,
    ).count()
    try:
        with transaction.atomic():
            payout = Payout.objects.create(
                partner_profile=profile,
                amount_cents=gross - payout_fee_cents(gross),
                period_start=period_start,
                period_end=period_end,
                referrals_count=referrals,
            )
    except IntegrityError:  # pragma: no cover - the profile's lock serialises the runs
        return None
    EarningsEntry.objects.create(
        partner_profile=profile,
        kind=EarningsEntry.Kind.PAID_OUT,
        amount_cents=-gross,
        payout=payout,
    )
    event_record(team=profile.team, type=Event.Type.PAYOUT_CREATED, payload=payout_payload(payout))
    return payout


def _lock_pending(payout: Payout) -> Payout:
    locked = Payout.objects.select_for_update().select_related("partner_profile").get(pk=payout.pk)
    if locked.status != Payout.Status.PENDING:
        raise InvalidState(PAYOUT_NOT_PENDING.format(uuid=locked.public_id))
    return locked


@transaction.atomic
def payout_mark_paid(*, payout: Payout, reference: str) -> Payout:
    """Staff: a pending payout was paid, with the transfer `reference`. Raises
    ServiceError(REFERENCE_REQUIRED) or InvalidState(PAYOUT_NOT_PENDING)."""
    reference = reference.strip()
    if not reference:
        raise ServiceError(REFERENCE_REQUIRED)
    payout = _lock_pending(payout)
    payout.status, payout.reference, payout.paid_at = Payout.Status.PAID, reference, timezone.now()
    payout.save(update_fields=["status", "reference", "paid_at"])
    return payout


@transaction.atomic
def payout_mark_failed(*, payout: Payout) -> Payout:
    """Staff: a pending payout failed; a `reversed` ledger line returns its amount to the
    partner's balance. Raises InvalidState(PAYOUT_NOT_PENDING)."""
    payout = _lock_pending(payout)
    payout.status, payout.failed_at = Payout.Status.FAILED, timezone.now()
    payout.save(update_fields=["status", "failed_at"])
    paid_out = EarningsEntry.objects.get(payout=payout, kind=EarningsEntry.Kind.PAID_OUT)
    EarningsEntry.objects.create(
        partner_profile_id=payout.partner_profile_id,
        kind=EarningsEntry.Kind.REVERSED,
        amount_cents=-paid_out.amount_cents,
        payout=payout,
    )
    return payout
