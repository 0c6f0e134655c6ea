"""Writes of subscribers: every state change in one transaction, announced through signals.

What a change means for referrals (attribution, counters, campaigns, `sync_subscriber`) is
the business of the apps above, which react to `subscribers.signals` in this transaction.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery
from django.utils import timezone

from sparkloop.counters import counter_add, counters_deferred
from sparkloop.exceptions import Conflict, InvalidState, NotFound, ServiceError
from sparkloop.models import Team
from sparkloop.updates import UNSET, model_update
from subscribers.models import Subscriber, SubscriberEvent, new_ref_code
from subscribers.selectors import COUNTER_SUBSCRIBERS, SUBSCRIBER_NOT_FOUND
from subscribers.signals import (
    subscriber_changed,
    subscriber_confirmed,
    subscriber_created,
    subscriber_deleted,
    subscriber_rejected,
    subscriber_unsubscribed,
)

EMAIL_REQUIRED = "You have to provide at least an email"
EMAIL_INVALID = "Email is invalid"
EMAIL_TAKEN = "Email has already been taken"
REF_CODE_INVALID = "Ref code is invalid"
REF_CODE_PATTERN = r"^[A-Za-z0-9_-]{4,16}$"
REF_CODE_TAKEN = "Ref code has already been taken"
INVALID_STATUS = "Invalid status!"
ALREADY_UNSUBSCRIBED = "Subscriber {identifier} has already been unsubscribed"
MUST_BE_PENDING = "Subscriber {identifier} must be pending"

_REF_CODE_ATTEMPTS = 8


def _announce(signal: Any, subscriber: Subscriber, **kwargs: Any) -> None:
    signal.send(sender=Subscriber, subscriber=subscriber, **kwargs)


def subscriber_email_check(*, team: Team, email: str, exclude: Subscriber | None = None) -> str:
    """The email as it is stored (trimmed), if the team may have it for this subscriber.

    Raises ServiceError(EMAIL_REQUIRED / EMAIL_INVALID), or Conflict(EMAIL_TAKEN) when
    another subscriber of the team has it in any case. The create and update services run
    it; forms call it to show the same error (a concurrent taker is still caught on write).
    """
    email = subscriber_email_clean(email)
    taken = Subscriber.objects.filter(team=team, email_normalized=email.lower())
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise Conflict(EMAIL_TAKEN)
    return email


def subscriber_email_clean(email: str) -> str:
    """The email as it is stored (trimmed); ServiceError(EMAIL_REQUIRED / EMAIL_INVALID)."""
    email = email.strip()
    if not email:
        raise ServiceError(EMAIL_REQUIRED)
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ServiceError(EMAIL_INVALID) from None
    return email


def _email_taken(*, team: Team, email_normalized: str) -> bool:
    return Subscriber.objects.filter(team=team, email_normalized=email_normalized).exists()


def _insert_unless_taken(subscriber: Subscriber) -> bool:
    """INSERT the new row unless a unique constraint (email, ref_code) refuses it; whether
    it went in.

    ON CONFLICT DO NOTHING (SQLite: INSERT OR IGNORE) instead of a savepoint around a plain
    INSERT: a conflict is a normal outcome here (a taken email, a concurrent create of it,
    a random ref_code drawn twice), and it leaves the transaction usable without one.
    """
    opts = Subscriber._meta
    fields = [f for f in opts.concrete_fields if f is not opts.auto_field]
    query = InsertQuery(Subscriber, on_conflict=OnConflict.IGNORE)
    query.insert_values(fields, [subscriber])
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [opts.pk]
    [(sql, params)] = compiler.as_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    subscriber.pk = row[0]
    subscriber._state.adding = False
    subscriber._state.db = connection.alias
    return True


@transaction.atomic
def subscriber_create(
    *,
    team: Team,
    email: str,
    name: str | None = None,
    ref_code: str | None = None,
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
    """Create a subscriber, referred by the team's subscriber whose `ref_code` is given.

    A code that matches no subscriber of the team creates the subscriber unreferred.
    `referral_status` marks a subscriber referred from outside the team (the partner
    network: no referrer in the team, but referred, with that status). Sends
    `subscriber_created`, then `subscriber_confirmed` when created confirmed, then
    `subscriber_changed` (the referrals app attributes the referral and writes the events).
    Raises Conflict(EMAIL_TAKEN) when the email exists in the team, in any case, also
    when a concurrent request creates it first.

    `ref_code`, the subscriber's own (spec bulk.md), is stored as given; without one a
    random code is drawn. Raises ServiceError(REF_CODE_INVALID) unless it is 4-16 of
    `A-Z a-z 0-9 _ -` (the API's serializer says so first), Conflict(REF_CODE_TAKEN)
    when a subscriber of the team has it in any case (a concurrent create too: the unique
    index on `(team, lower(ref_code))`), the email's error first; never another code.
    """
    if ref_code and not re.fullmatch(REF_CODE_PATTERN, ref_code):
        raise ServiceError(REF_CODE_INVALID)
    with counters_deferred():
        return _create(
            team=team,
            email=subscriber_email_clean(email),
            name=name,
            ref_code=ref_code,
            referrer_code=referrer_code,
            status=status,
            ip_address=ip_address,
            user_agent=user_agent,
            utm_source=utm_source,
            utm_campaign=utm_campaign,
            country_code=country_code,
            created_at=created_at,
            origin=origin,
            cpa=cpa,
            referral_status=referral_status,
        )


def _create(
    *,
    team: Team,
    email: str,
    name: str | None,
    ref_code: str | None,
    referrer_code: str | None,
    status: str | None,
    ip_address: str | None,
    user_agent: str | None,
    utm_source: str | None,
    utm_campaign: str | None,
    country_code: str | None,
    created_at: datetime | None,
    origin: str,
    cpa: Decimal | None,
    referral_status: str | None,
) -> Subscriber:
    email_normalized = email.lower()
    referrer = None
    if referrer_code:
        # Locked once, here, for everything the create changes of the referrer (its
        # counters, its memberships): the receivers get this row and don't read it again.
        found = Subscriber.objects.select_for_update().filter(
            team=team, ref_code=referrer_code.strip()
        )
        referrer = next(iter(found[:1]), None)
    now = timezone.now()
    status = status or Subscriber.Status.PENDING
    subscriber = Subscriber(
        team=team,
        email=email,
        email_normalized=email_normalized,
        name=name,
        ref_code=ref_code or new_ref_code(),
        status=status,
        referrer=referrer,
        referrer_code=referrer.ref_code if referrer else None,
        referred=referrer is not None or referral_status is not None,
        # The initial state; every later move of referral_status is the referrals app's.
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
        if _insert_unless_taken(subscriber):
            break
        # Either the email is taken (perhaps by a concurrent create: then it is the
        # user's error), or the ref_code is: the caller's is the user's error, a random
        # one collided (then draw again). No statement is spent on a happy path.
        if _email_taken(team=team, email_normalized=email_normalized):
            raise Conflict(EMAIL_TAKEN)
        if ref_code:
            raise Conflict(REF_CODE_TAKEN)
        subscriber.ref_code = new_ref_code()
    else:  # pragma: no cover - 8 collisions in a 2^32 space
        raise Conflict(EMAIL_TAKEN)

    counter_add(team_id=team.pk, name=COUNTER_SUBSCRIBERS, delta=1)
    _announce(subscriber_created, subscriber, referrer=referrer)
    if subscriber.status == Subscriber.Status.CONFIRMED:
        _announce(subscriber_confirmed, subscriber)
    _announce(subscriber_changed, subscriber)
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


def _status_move(subscriber: Subscriber, status: str) -> Any:
    """Set a new subscription status; returns the signal that announces it (None if none).

    Only `confirmed` and `unsubscribed` can be moved to (a subscriber is pending once).
    """
    if status not in (Subscriber.Status.CONFIRMED, Subscriber.Status.UNSUBSCRIBED):
        raise ServiceError(INVALID_STATUS)
    if status == subscriber.status:
        return None
    subscriber.status = status
    if status == Subscriber.Status.CONFIRMED:
        subscriber.confirmed_at = subscriber.confirmed_at or timezone.now()
        subscriber.unsubscribed_at = None
        return subscriber_confirmed
    subscriber.unsubscribed_at = timezone.now()
    return subscriber_unsubscribed


@transaction.atomic
@counters_deferred()
def subscriber_update(
    *,
    subscriber: Subscriber,
    name: str | None = UNSET,
    email: str = UNSET,
    status: str = UNSET,
    identifier: str | None = None,
) -> Subscriber:
    """Update name, email and/or status (`confirmed` or `unsubscribed`).

    A move to `confirmed` sends `subscriber_confirmed` (the referrals app verifies a pending
    referral: `new_referral`), a move to `unsubscribed` sends `subscriber_unsubscribed`;
    then `subscriber_changed` (`sync_subscriber`). Raises ServiceError(INVALID_STATUS) for
    another status, the errors of
    `subscriber_email_check` for a new email (Conflict(EMAIL_TAKEN) also when another
    subscriber takes it concurrently), and NotFound (naming `identifier`) when the
    subscriber was erased meanwhile.
    """
    subscriber = _lock(subscriber, identifier)
    data: dict[str, Any] = {"name": name}
    if email is not UNSET:
        email = subscriber_email_check(team=subscriber.team, email=email, exclude=subscriber)
        data |= {"email": email, "email_normalized": email.lower()}
    _, changed = model_update(
        instance=subscriber, fields=("name", "email", "email_normalized"), data=data, save=False
    )
    moved = None
    if status is not UNSET:
        moved = _status_move(subscriber, status)
    if moved is not None:
        changed += ["status", "confirmed_at", "unsubscribed_at"]
    if "email" in changed:
        # A concurrent taker of the new email is caught by the unique constraint.
        try:
            with transaction.atomic():
                subscriber.save(update_fields=[*changed, "updated_at"])
        except IntegrityError:
            raise Conflict(EMAIL_TAKEN) from None
    elif changed:  # nothing here can conflict: no savepoint
        subscriber.save(update_fields=[*changed, "updated_at"])
    if moved is not None:
        _announce(moved, subscriber)
    _announce(subscriber_changed, subscriber)
    return subscriber


@transaction.atomic
@counters_deferred()
def subscriber_unsubscribe(*, subscriber: Subscriber, identifier: str) -> Subscriber:
    """Unsubscribe; sends `subscriber_unsubscribed` and `subscriber_changed`.

    Raises InvalidState if already unsubscribed, NotFound if erased meanwhile.
    """
    subscriber = _lock(subscriber, identifier)
    if subscriber.status == Subscriber.Status.UNSUBSCRIBED:
        raise InvalidState(ALREADY_UNSUBSCRIBED.format(identifier=identifier))
    _status_move(subscriber, Subscriber.Status.UNSUBSCRIBED)
    subscriber.save(update_fields=["status", "unsubscribed_at", "updated_at"])
    _announce(subscriber_unsubscribed, subscriber)
    _announce(subscriber_changed, subscriber)
    return subscriber


@transaction.atomic
@counters_deferred()
def subscriber_reject(*, subscriber: Subscriber, identifier: str) -> Subscriber:
    """Reject a pending referral: it no longer counts for its referrer.

    Sends `subscriber_rejected` (the referrals app moves `referral_status` to `rejected`
    and corrects the counters) and `subscriber_changed`. Raises InvalidState unless the
    referral is pending, NotFound if erased meanwhile.
    """
    subscriber = _lock(subscriber, identifier)
    if subscriber.referral_status != Subscriber.ReferralStatus.PENDING:
        raise InvalidState(MUST_BE_PENDING.format(identifier=identifier))
    _announce(subscriber_rejected, subscriber)
    _announce(subscriber_changed, subscriber)
    return subscriber


@transaction.atomic
@counters_deferred()
def subscriber_delete(*, subscriber: Subscriber, identifier: str | None = None) -> None:
    """Erase a subscriber and its events; every maintained counter is corrected.

    Sends `subscriber_deleted` before the row goes (the referrals app corrects what it
    counted). The people it referred stay referred (`referrer_code` is kept), their
    referrer gone. Raises NotFound (naming `identifier`) when it was erased already.
    """
    subscriber = _lock(subscriber, identifier)
    counter_add(team_id=subscriber.team_id, name=COUNTER_SUBSCRIBERS, delta=-1)
    _announce(subscriber_deleted, subscriber)
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
