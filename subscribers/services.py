"""Writes of subscribers: every state change runs in one transaction with its outbox events."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from referrals import services as referral_services
from sparkloop.counters import counter_add
from sparkloop.exceptions import Conflict, InvalidState, NotFound
from sparkloop.models import Team
from subscribers.models import Subscriber, SubscriberEvent, new_ref_code
from subscribers.selectors import (
    COUNTER_ADVOCATES,
    COUNTER_REFERRED,
    COUNTER_SUBSCRIBERS,
    SUBSCRIBER_NOT_FOUND,
)
from webhooks.services import event_record

EMAIL_TAKEN = "Email has already been taken"
ALREADY_UNSUBSCRIBED = "Subscriber {identifier} has already been unsubscribed"
MUST_BE_PENDING = "Subscriber {identifier} must be pending"

UNSET: Any = object()
_REF_CODE_ATTEMPTS = 8


def _sync_event(subscriber: Subscriber) -> None:
    event_record(
        team=subscriber.team,
        type="sync_subscriber",
        payload=referral_services.sync_subscriber_payload(subscriber),
    )


def _email_taken(*, team: Team, email_normalized: str, exclude_pk: int | None = None) -> bool:
    qs = Subscriber.objects.filter(team=team, email_normalized=email_normalized)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def _referrer_adjust(referrer_id: int, *, team_id: int, made: int = 0, verified: int = 0) -> None:
    """Move a referrer's maintained counters, and the team's advocate count with them."""
    # The row lock serialises concurrent referrals of one referrer, so the 0 <-> 1
    # transition of referrals_count (advocate or not) is seen by exactly one transaction.
    referrer = Subscriber.objects.select_for_update().filter(pk=referrer_id).first()
    if referrer is None:
        return
    before = referrer.referrals_count
    Subscriber.objects.filter(pk=referrer_id).update(
        referrals_count=F("referrals_count") + made,
        verified_referrals_count=F("verified_referrals_count") + verified,
    )
    after = before + made
    if before == 0 and after > 0:
        counter_add(team_id=team_id, name=COUNTER_ADVOCATES, delta=1)
    elif before > 0 and after == 0:
        counter_add(team_id=team_id, name=COUNTER_ADVOCATES, delta=-1)


@transaction.atomic
def subscriber_create(
    *,
    team: Team,
    email: str,
    name: str | None = None,
    referrer_code: str | None = None,
    status: str | None = None,
    ip_address: str | None = None,
    user_agent: str | None = None,
    utm_source: str | None = None,
    utm_campaign: str | None = None,
    country_code: str | None = None,
    created_at: datetime | None = None,
    origin: str = Subscriber.ORIGIN_API,
    cpa: Decimal | None = None,
    referral_status: str | None = None,
) -> Subscriber:
    """Create a subscriber, attributing it to the referrer whose `ref_code` is given.

    A code that matches no subscriber of the team creates the subscriber unreferred.
    `referral_status` marks a subscriber referred from outside the team (the partner
    network: no referrer in the team, but referred, with that status).
    Emits `sync_subscriber` (and `new_referral` when created confirmed and referred).
    Raises Conflict(EMAIL_TAKEN) when the email exists in the team, in any case, also
    when a concurrent request creates it first.
    """
    email = email.strip()
    email_normalized = email.lower()
    if _email_taken(team=team, email_normalized=email_normalized):
        raise Conflict(EMAIL_TAKEN)
    referrer = None
    if referrer_code:
        referrer = Subscriber.objects.filter(team=team, ref_code=referrer_code.strip()).first()
    now = timezone.now()
    status = status or Subscriber.Status.PENDING
    subscriber = Subscriber(
        team=team,
        email=email,
        email_normalized=email_normalized,
        name=name,
        status=status,
        referrer=referrer,
        referrer_code=referrer.ref_code if referrer else None,
        referred=referrer is not None or referral_status is not None,
        referral_status=(
            referral_status or (Subscriber.ReferralStatus.PENDING if referrer else None)
        ),
        ip_address=ip_address,
        user_agent=user_agent,
        utm_source=utm_source,
        utm_campaign=utm_campaign,
        country_code=country_code.upper() if country_code else None,
        cpa_cents=int(cpa * 100) if cpa is not None else None,
        origin=origin,
        created_at=created_at or now,
        confirmed_at=now if status == Subscriber.Status.CONFIRMED else None,
        unsubscribed_at=now if status == Subscriber.Status.UNSUBSCRIBED else None,
    )
    for _attempt in range(_REF_CODE_ATTEMPTS):
        try:
            with transaction.atomic():
                subscriber.save(force_insert=True)
            break
        except IntegrityError:
            # Either the email was created concurrently (then it is the user's error),
            # or the random ref_code collided (then draw again).
            if _email_taken(team=team, email_normalized=email_normalized):
                raise Conflict(EMAIL_TAKEN) from None
            subscriber.pk = None
            subscriber.ref_code = new_ref_code()
    else:  # pragma: no cover - 8 collisions in a 2^32 space
        raise Conflict(EMAIL_TAKEN)

    counter_add(team_id=team.pk, name=COUNTER_SUBSCRIBERS, delta=1)
    if subscriber.referred:
        counter_add(team_id=team.pk, name=COUNTER_REFERRED, delta=1)
    if referrer is not None:
        _referrer_adjust(referrer.pk, team_id=team.pk, made=1)
    # Campaign memberships, the referral in each campaign, its screening and (if created
    # confirmed) its verification: referrals/services.
    referral_services.referral_subscriber_created(subscriber=subscriber, referrer=referrer)
    _sync_event(subscriber)
    return subscriber


def _lock(subscriber: Subscriber, identifier: str | None) -> Subscriber:
    """The subscriber's row, locked and fresh; NotFound if it was erased since it was read
    (a concurrent DELETE), with the identifier the caller was given."""
    locked = (
        Subscriber.objects.select_for_update(of=("self",))
        .select_related("team")
        .filter(pk=subscriber.pk)
        .first()
    )
    if locked is None:
        shown = identifier if identifier is not None else subscriber.public_id
        raise NotFound(SUBSCRIBER_NOT_FOUND.format(identifier=shown))
    return locked


def _unsubscribe(subscriber: Subscriber) -> None:
    subscriber.status = Subscriber.Status.UNSUBSCRIBED
    subscriber.unsubscribed_at = timezone.now()


def _confirm(subscriber: Subscriber) -> None:
    subscriber.status = Subscriber.Status.CONFIRMED
    subscriber.confirmed_at = subscriber.confirmed_at or timezone.now()
    subscriber.unsubscribed_at = None
    if subscriber.referred:
        # Verifies what the referrer's campaigns verify on confirmation (not flagged ones).
        referral_services.referral_subscriber_confirmed(subscriber=subscriber)


@transaction.atomic
def subscriber_update(
    *,
    subscriber: Subscriber,
    name: str | None = UNSET,
    email: str = UNSET,
    status: str = UNSET,
    identifier: str | None = None,
) -> Subscriber:
    """Update name, email and/or status (`confirmed` or `unsubscribed`).

    Confirming verifies a pending referral (`new_referral`). Emits `sync_subscriber`.
    Raises Conflict(EMAIL_TAKEN) when the new email belongs to another subscriber, and
    NotFound (naming `identifier`) when the subscriber was erased meanwhile.
    """
    subscriber = _lock(subscriber, identifier)
    if name is not UNSET:
        subscriber.name = name
    if email is not UNSET:
        email = email.strip()
        if _email_taken(
            team=subscriber.team, email_normalized=email.lower(), exclude_pk=subscriber.pk
        ):
            raise Conflict(EMAIL_TAKEN)
        subscriber.email, subscriber.email_normalized = email, email.lower()
    if status == Subscriber.Status.CONFIRMED:
        _confirm(subscriber)
    elif status == Subscriber.Status.UNSUBSCRIBED and subscriber.status != status:
        _unsubscribe(subscriber)
    try:
        with transaction.atomic():
            subscriber.save()
    except IntegrityError:
        raise Conflict(EMAIL_TAKEN) from None
    _sync_event(subscriber)
    return subscriber


@transaction.atomic
def subscriber_unsubscribe(*, subscriber: Subscriber, identifier: str) -> Subscriber:
    """Unsubscribe; raises InvalidState if already unsubscribed. Emits `sync_subscriber`."""
    subscriber = _lock(subscriber, identifier)
    if subscriber.status == Subscriber.Status.UNSUBSCRIBED:
        raise InvalidState(ALREADY_UNSUBSCRIBED.format(identifier=identifier))
    _unsubscribe(subscriber)
    subscriber.save(update_fields=["status", "unsubscribed_at", "updated_at"])
    _sync_event(subscriber)
    return subscriber


@transaction.atomic
def subscriber_reject(*, subscriber: Subscriber, identifier: str) -> Subscriber:
    """Reject a pending referral: it no longer counts for its referrer.

    Raises InvalidState unless the referral is pending. Emits `sync_subscriber`.
    """
    subscriber = _lock(subscriber, identifier)
    if subscriber.referral_status != Subscriber.ReferralStatus.PENDING:
        raise InvalidState(MUST_BE_PENDING.format(identifier=identifier))
    subscriber.referral_status = Subscriber.ReferralStatus.REJECTED
    subscriber.save(update_fields=["referral_status", "updated_at"])
    if subscriber.referrer_id is not None:
        _referrer_adjust(subscriber.referrer_id, team_id=subscriber.team_id, made=-1)
    referral_services.referral_subscriber_rejected(subscriber=subscriber)
    _sync_event(subscriber)
    return subscriber


@transaction.atomic
def subscriber_delete(*, subscriber: Subscriber, identifier: str | None = None) -> None:
    """Erase a subscriber and its events; every maintained counter is corrected.

    The people it referred stay referred (`referrer_code` is kept), their referrer gone.
    Raises NotFound (naming `identifier`) when it was erased already.
    """
    subscriber = _lock(subscriber, identifier)
    team_id = subscriber.team_id
    counter_add(team_id=team_id, name=COUNTER_SUBSCRIBERS, delta=-1)
    if subscriber.referred:
        counter_add(team_id=team_id, name=COUNTER_REFERRED, delta=-1)
    if subscriber.referrals_count > 0:
        counter_add(team_id=team_id, name=COUNTER_ADVOCATES, delta=-1)
    if subscriber.referrer_id is not None:
        status = subscriber.referral_status
        _referrer_adjust(
            subscriber.referrer_id,
            team_id=team_id,
            made=-1 if status != Subscriber.ReferralStatus.REJECTED else 0,
            verified=-1 if status == Subscriber.ReferralStatus.VERIFIED else 0,
        )
    referral_services.referral_subscriber_deleted(subscriber=subscriber)
    subscriber.delete()


@transaction.atomic
def subscriber_event_create(
    *,
    subscriber: Subscriber,
    value: Decimal,
    description: str | None = None,
    campaign_uuid: str | None = None,
) -> SubscriberEvent:
    """Record a value event (a purchase, a conversion) for a subscriber."""
    return SubscriberEvent.objects.create(
        team_id=subscriber.team_id,
        subscriber=subscriber,
        value_cents=int((value * 100).to_integral_value()),
        description=description,
        campaign_uuid=campaign_uuid,
    )
