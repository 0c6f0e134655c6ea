"""The batch write path: many subscribers created (or updated) in one transaction.

Creates are written set-based: every check the single create makes is made for the whole
batch in one query each (emails taken, ref codes taken, referrers), the rows go in with one
INSERT, the team counter moves once, and `subscribers_created` is sent once for the batch
(the referrals app attributes and announces them set-based too). So a batch costs a bounded
number of statements whatever its size; only a race (a concurrent create of the same email)
sends it down the slow path, a savepoint per row, where each row gets the single create's
answer. Updates call the single update service per item, each in its own savepoint.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from sparkloop.counters import counter_add, counters_deferred
from sparkloop.exceptions import ServiceError
from sparkloop.inserts import rows_insert
from sparkloop.models import Team
from subscribers.batch.signals import subscribers_created, subscribers_created_across
from subscribers.models import Subscriber, new_ref_code
from subscribers.selectors import COUNTER_SUBSCRIBERS, subscriber_get
from subscribers.services import (
    EMAIL_TAKEN,
    REF_CODE_TAKEN,
    subscriber_email_clean,
    subscriber_update,
)

_REF_CODE_ATTEMPTS = 8


@dataclass
class ItemResult:
    """What became of one item: its HTTP-like status and the subscriber or the error."""

    index: int
    status: int
    subscriber: Subscriber | None = None
    error: str | None = None


def _failed(index: int, message: str, status: int = 400) -> ItemResult:
    return ItemResult(index=index, status=status, error=message)


def _codes_taken(team: Team, codes: set[str]) -> set[str]:
    """Which of `codes` (lower-cased) the team's subscribers have, in any case."""
    if not codes:
        return set()
    return set(
        Subscriber.objects.filter(team=team)
        .annotate(code_ci=Lower("ref_code"))
        .filter(code_ci__in=codes)
        .values_list("code_ci", flat=True)
    )


def _subscriber_new(
    team: Team, data: Mapping[str, Any], origin: str, referrer: Subscriber | None, now: Any
) -> Subscriber:
    """The row the single create would write for `data` (not saved)."""
    status = data.get("status") or Subscriber.Status.PENDING
    email = data["email"].strip()
    country_code = data.get("country_code")
    return Subscriber(
        team=team,
        email=email,
        email_normalized=email.lower(),
        name=data.get("name"),
        ref_code=data.get("ref_code") or new_ref_code(),
        status=status,
        # A referrer made in this batch has no id yet: `_insert` sets it after the INSERT.
        referrer=referrer if referrer is not None and not referrer._state.adding else None,
        referrer_code=referrer.ref_code if referrer else None,
        # `referral_status` given: referred from outside the team (subscriber_create's rule).
        referred=referrer is not None or data.get("referral_status") is not None,
        referral_status=(
            data.get("referral_status") or (Subscriber.ReferralStatus.PENDING if referrer else None)
        ),
        ip_address=data.get("ip_address"),
        user_agent=data.get("user_agent"),
        utm_source=data.get("utm_source"),
        utm_campaign=data.get("utm_campaign"),
        country_code=country_code.upper() if country_code else None,
        cpa_cents=int(data["cpa"] * 100) if data.get("cpa") is not None else None,
        origin=origin,
        created_at=data.get("created_at") or now,
        confirmed_at=now if status == Subscriber.Status.CONFIRMED else None,
        unsubscribed_at=now if status == Subscriber.Status.UNSUBSCRIBED else None,
    )


def _plan(
    team: Team, items: Sequence[Mapping[str, Any]], origin: str
) -> tuple[list[ItemResult | None], list[tuple[int, Subscriber, Subscriber | None]]]:
    """Decide each item as the single create would, with one query per kind of check."""
    emails = {item["email"].strip().lower() for item in items}
    taken_emails = set(
        Subscriber.objects.filter(team=team, email_normalized__in=emails).values_list(
            "email_normalized", flat=True
        )
    )
    taken_codes = _codes_taken(team, {i["ref_code"].lower() for i in items if i.get("ref_code")})
    wanted = {i["referrer_code"].strip() for i in items if i.get("referrer_code")}
    known = {s.ref_code: s for s in Subscriber.objects.filter(team=team, ref_code__in=wanted)}

    results: list[ItemResult | None] = [None] * len(items)
    planned: list[tuple[int, Subscriber, Subscriber | None]] = []
    in_batch: dict[str, Subscriber] = {}
    now = timezone.now()
    for index, data in enumerate(items):
        email = data["email"].strip().lower()
        code = data.get("ref_code")
        if email in taken_emails:
            results[index] = _failed(index, EMAIL_TAKEN)
            continue
        if code and code.lower() in taken_codes:
            results[index] = _failed(index, REF_CODE_TAKEN)
            continue
        referrer_code = (data.get("referrer_code") or "").strip()
        # A referrer created earlier in this batch refers like one that existed before.
        referrer = in_batch.get(referrer_code) or known.get(referrer_code)
        subscriber = _subscriber_new(team, data, origin, referrer, now)
        taken_emails.add(email)
        taken_codes.add(subscriber.ref_code.lower())
        in_batch[subscriber.ref_code] = subscriber
        planned.append((index, subscriber, referrer))
    return results, planned


def _insert_one(subscriber: Subscriber, own_code: bool) -> str | None:
    """The slow path: insert one row in a savepoint; the single create's error, if any."""
    for _attempt in range(_REF_CODE_ATTEMPTS):
        try:
            with transaction.atomic():
                subscriber.save(force_insert=True)
            return None
        except IntegrityError:
            subscriber.pk = None
            taken = Subscriber.objects.filter(
                team_id=subscriber.team_id, email_normalized=subscriber.email_normalized
            ).exists()
            if taken:
                return EMAIL_TAKEN
            if own_code:
                return REF_CODE_TAKEN
            subscriber.ref_code = new_ref_code()
    return EMAIL_TAKEN  # pragma: no cover - 8 collisions in a 2^32 space


def _insert(
    planned: list[tuple[int, Subscriber, Subscriber | None]],
    items: Sequence[Mapping[str, Any]],
    results: list[ItemResult | None],
) -> list[tuple[int, Subscriber, Subscriber | None]]:
    """Insert the planned rows (one INSERT; a savepoint per row after a race)."""
    rows = [subscriber for _, subscriber, _ in planned]
    try:
        with transaction.atomic():
            Subscriber.objects.bulk_create(rows)
    except IntegrityError:
        for row in rows:
            row.pk = None
        written: list[tuple[int, Subscriber, Subscriber | None]] = []
        in_batch = {id(subscriber) for _, subscriber, _ in planned}
        done: set[int] = set()
        for index, subscriber, referrer in planned:
            if id(referrer) in in_batch and id(referrer) not in done:  # it failed: unreferred
                referrer = None
                subscriber.referrer_code, subscriber.referred = None, False
                subscriber.referral_status = None
            subscriber.referrer = referrer
            error = _insert_one(subscriber, own_code=bool(items[index].get("ref_code")))
            if error is None:
                done.add(id(subscriber))
                written.append((index, subscriber, referrer))
            else:
                results[index] = _failed(index, error)
        return written
    # Referrers created in this batch had no id when their referrals were built: one UPDATE.
    late = []
    for _, subscriber, referrer in planned:
        if referrer is not None and subscriber.referrer_id is None:
            subscriber.referrer = referrer
            late.append(subscriber)
    if late:
        Subscriber.objects.bulk_update(late, ["referrer"])
    return planned


@transaction.atomic
def subscribers_create_many(
    *,
    team: Team,
    items: Sequence[Mapping[str, Any]],
    origin: str = Subscriber.ORIGIN_API,
    send_webhooks: bool = True,
    campaign: str = "",
) -> list[ItemResult]:
    """Create a subscriber per item (a single create's validated body, `ref_code` allowed).

    Each item gets what its single create would: 201 and the subscriber, or 400 and the same
    sentence (`Email has already been taken`, also for a later item with an earlier one's
    email; `Ref code has already been taken`). A `referrer_code` may name a subscriber made
    earlier in the batch. Sends `subscribers_created` once, with every created subscriber.
    """
    results, planned = _plan(team, items, origin)
    written = _insert(planned, items, results) if planned else []
    for index, subscriber, _ in written:
        results[index] = ItemResult(index=index, status=201, subscriber=subscriber)
    subscribers_created_announce(
        team=team,
        created=[(subscriber, referrer) for _, subscriber, referrer in written],
        send_webhooks=send_webhooks,
        campaign=campaign,
    )
    return [result for result in results if result is not None]


def _insert_ignoring(rows: list[Subscriber]) -> list[Subscriber]:
    """INSERT `rows` in one statement, leaving out those a unique constraint refuses (ON
    CONFLICT DO NOTHING); the rows that went in, with their ids."""
    return rows_insert(rows, ignore_conflicts=True)


def subscribers_create_across(
    *, items: Sequence[tuple[Team, Mapping[str, Any]]], origin: str = Subscriber.ORIGIN_API
) -> list[Subscriber | None]:
    """Create one subscriber per item, each in its own team (several teams at once), as
    `subscriber_create` would without a referrer, in one transaction: one INSERT for all of
    them, each team's counter, and `subscribers_created_across` once (the referrals app's
    memberships and events, set-based across the teams).

    An item is `(team, fields)`: `email` (cleaned: ServiceError for an empty or invalid
    one), optional `name`, `ip_address`, `user_agent`, `utm_source`, `utm_campaign`,
    `country_code`, `status`, `cpa` (a Decimal of dollars) and `referral_status` (referred
    from outside the team). Answers in the items' order the subscriber made, or None where
    the team has the email already in any case (a concurrent create of it too, and a later
    item of the same team and email): `subscriber_create`'s Conflict(EMAIL_TAKEN)."""
    now = timezone.now()
    planned: list[Subscriber | None] = []
    seen: set[tuple[int, str]] = set()
    for team, data in items:
        email = subscriber_email_clean(data["email"])
        key = (team.pk, email.lower())
        planned.append(
            None
            if key in seen
            else _subscriber_new(team, {**data, "email": email}, origin, None, now)
        )
        seen.add(key)
    return _create_across(planned)


# Inside a caller's transaction no savepoint: all or nothing, nothing catches one half-way
# (the emails are checked before it: a bad one leaves the caller's transaction usable).
@transaction.atomic(savepoint=False)
def _create_across(planned: list[Subscriber | None]) -> list[Subscriber | None]:
    pending = [row for row in planned if row is not None]
    made: set[int] = set()
    with counters_deferred():
        for _attempt in range(_REF_CODE_ATTEMPTS):
            made |= {id(row) for row in _insert_ignoring(pending)} if pending else set()
            pending = [row for row in pending if id(row) not in made]
            if not pending:
                break
            # Refused: the email is taken (perhaps concurrently), or a random ref code
            # collided (then drawn again). No statement is spent on a happy path.
            taken = Q()
            for row in pending:
                taken |= Q(team_id=row.team_id, email_normalized=row.email_normalized)
            emails = set(
                Subscriber.objects.filter(taken).values_list("team_id", "email_normalized")
            )
            pending = [r for r in pending if (r.team_id, r.email_normalized) not in emails]
            for row in pending:
                row.ref_code = new_ref_code()
        created = [row if row is not None and id(row) in made else None for row in planned]
        rows = [row for row in created if row is not None]
        for team_id in sorted({row.team_id for row in rows}):
            count = sum(row.team_id == team_id for row in rows)
            counter_add(team_id=team_id, name=COUNTER_SUBSCRIBERS, delta=count)
        if rows:
            subscribers_created_across.send(sender=Subscriber, created=rows)
    return created


def subscribers_created_announce(
    *,
    team: Team,
    created: Sequence[tuple[Subscriber, Subscriber | None]],
    send_webhooks: bool = True,
    campaign: str = "",
) -> None:
    """After new subscribers are written (in the caller's transaction): the team's counter
    moved once and `subscribers_created` sent once. Also for an import's set-based rows."""
    if not created:
        return
    counter_add(team_id=team.pk, name=COUNTER_SUBSCRIBERS, delta=len(created))
    subscribers_created.send(
        sender=Subscriber,
        team=team,
        created=created,
        send_webhooks=send_webhooks,
        campaign=campaign,
    )


@transaction.atomic
def subscribers_update_many(
    *, team: Team, items: Sequence[tuple[str, Mapping[str, Any] | str]]
) -> list[ItemResult]:
    """Update a subscriber per item, each as a single PUT and in its own savepoint.

    An item is `(identifier, validated fields)` or `(identifier, error sentence)`: 404 when
    the team has no such subscriber (another team's is no different), else 400 with the
    sentence, else what `subscriber_update` answers (200, or its error).
    """
    results = []
    for index, (identifier, data) in enumerate(items):
        if isinstance(data, str) and not identifier.strip():
            results.append(_failed(index, data))
            continue
        try:
            with transaction.atomic():
                subscriber = subscriber_get(team=team, identifier=identifier)
                if isinstance(data, str):
                    results.append(_failed(index, data))
                    continue
                subscriber = subscriber_update(subscriber=subscriber, identifier=identifier, **data)
        except ServiceError as error:
            results.append(_failed(index, error.message, error.status_code))
            continue
        results.append(ItemResult(index=index, status=200, subscriber=subscriber))
    return results
