"""Partner earnings: settlement and rejection of pending partner referrals, set-based.

A batch is a fixed number of statements whatever its size: the claim (`UPDATE ... WHERE id
IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING`, one per outcome, which returns the
subscribers' columns too: they are not read again), the ledger (one `INSERT ... SELECT`),
the subscribers' `referral_status` (through the referrals app, one UPDATE), the events (one
`events_record_many` per team and event type), and last the rows settlers share: the budget
rows and the campaigns' counters (each locked in id order, then one `UPDATE ... FROM
(VALUES ...)`). `settle_due` runs several settlers at once.

Lock order (services.py): subscriber, then its partner referrals, then the budget rows
(ProgramBudgetMonth before CampaignBudgetMonth, each by id), then the partner campaigns (by
id). Settlement takes the first two with SKIP LOCKED: it never waits for a subscriber that a
reject, an unsubscribe or a delete is changing, and leaves that referral to the next run.

After the hourly run, rates.py's `program_rates_refresh` recomputes the programs'
maintained 90-day confirmation rates in one statement.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from referrals.partners.earnings.payloads import (
    EVENT_OF_STATUS,
    campaign_parts,
    partner_referral_events_record_groups,
    referral_payload,
)
from referrals.partners.models import (
    CampaignBudgetMonth,
    EarningsEntry,
    PartnerCampaign,
    PartnerReferral,
    ProgramBudgetMonth,
)
from referrals.services import referral_statuses_set
from subscribers.models import Subscriber

Reason = PartnerReferral.RejectionReason
Status = PartnerReferral.Status
_VERIFIED = Subscriber.ReferralStatus.VERIFIED
_REJECTED = Subscriber.ReferralStatus.REJECTED


class SettledRow(NamedTuple):
    """A claimed referral as its UPDATE returned it (no model instance: a batch is a
    thousand of them)."""

    id: int
    status: str
    rejection_reason: str | None
    campaign_id: int
    program_id: int | None
    partner_profile_id: int
    team_id: int
    subscriber_id: int | None
    email: str
    name: str | None
    country_code: str | None
    cpa_cents: int
    payable: bool
    budget_month: date | None
    created_at: datetime
    # Its subscriber's, as the claim locked it (None without one, or when the caller has it).
    subscriber_public_id: str | None
    referrer_id: int | None
    referral_status: str | None


_COLUMNS = SettledRow._fields[: SettledRow._fields.index("subscriber_public_id")]
_SUBSCRIBER_COLUMNS = ("public_id", "referrer_id", "referral_status")


def _as_datetime(value: Any) -> datetime:
    # SQLite returns RETURNING's columns as text, naive UTC.
    if isinstance(value, str):
        value = parse_datetime(value)
    assert isinstance(value, datetime)  # noqa: S101
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


def _as_date(value: Any) -> date | None:
    if isinstance(value, str):
        return parse_date(value)
    return value  # type: ignore[no-any-return]


def _row(values: Sequence[Any]) -> SettledRow:
    row = SettledRow(*values)
    return row._replace(
        payable=bool(row.payable),
        budget_month=_as_date(row.budget_month),
        created_at=_as_datetime(row.created_at),
    )


def _returning(*, subscriber: bool) -> tuple[str, str]:
    """The claim's FROM (if any) and RETURNING: the referral's columns, and with
    `subscriber` its subscriber's (read by the claim, not by another SELECT)."""
    table = PartnerReferral._meta.db_table
    columns = [f"{table}.{column}" for column in _COLUMNS]
    if not subscriber:
        return "", ", ".join([*columns, "NULL", "NULL", "NULL"])
    subscribers = Subscriber._meta.db_table
    if connection.vendor == "postgresql":
        # The rows are locked by the claim's SELECT already; the join only reads them.
        return (
            f" FROM {subscribers} s",
            ", ".join([*columns, *(f"s.{column}" for column in _SUBSCRIBER_COLUMNS)]),
        )
    # SQLite's RETURNING cannot name an UPDATE's FROM table, only subqueries.
    return "", ", ".join(
        [
            *columns,
            *(
                f"(SELECT {column} FROM {subscribers} WHERE id = {table}.subscriber_id)"  # noqa: S608
                for column in _SUBSCRIBER_COLUMNS
            ),
        ]
    )


def _claim(
    *,
    select: str,
    params: list[Any],
    status: str,
    reason: str | None,
    now: datetime,
    subscriber: bool = False,
) -> list[SettledRow]:
    """One conditional UPDATE of the referrals that `select` (a SELECT of ids that locks
    them) picks, still `pending`, returning them (with `subscriber`, their subscribers'
    columns too: every picked referral must have one). The row lock holds on PostgreSQL
    (FOR UPDATE re-reads a changed row and drops it if no longer pending); the condition
    holds it on SQLite, where writers are serialised."""
    table = PartnerReferral._meta.db_table
    # On PostgreSQL `= ANY(ARRAY(...))`: the locking SELECT runs once, as an InitPlan, and the
    # UPDATE finds its rows by primary key (an `IN (...)` may become a semi-join that scans
    # every pending row of the partial index for each batch).
    ids = (
        f"{table}.id = ANY(ARRAY({select}))"
        if connection.vendor == "postgresql"
        else f"{table}.id IN ({select})"
    )
    join, returning = _returning(subscriber=subscriber)
    if join:
        ids += f" AND s.id = {table}.subscriber_id"
    sql = (
        f"UPDATE {table} SET status = %s, rejection_reason = %s, settled_at = %s{join} "  # noqa: S608
        f"WHERE {table}.status = 'pending' AND {ids} RETURNING {returning}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [status, reason, now, *params])
        return [_row(values) for values in cursor.fetchall()]


def _lock(clause: str) -> str:
    return f" {clause}" if connection.features.has_select_for_update_skip_locked else ""


def _claim_due(*, now: datetime, limit: int) -> list[SettledRow]:
    """Claim up to `limit` due referrals: still subscribed -> confirmed, unsubscribed ->
    rejected, the subscriber gone (erased by a raw delete, without its signal) -> rejected
    `deleted`. A referral with a subscriber is claimed only with both rows locked (the inner
    join is what lets FOR UPDATE lock the subscriber)."""
    referrals = PartnerReferral._meta.db_table
    subscribers = Subscriber._meta.db_table
    with_subscriber = (
        f"SELECT r.id FROM {referrals} r JOIN {subscribers} s ON s.id = r.subscriber_id "  # noqa: S608
        "WHERE r.status = 'pending' AND r.pending_until <= %s AND s.status {op} %s "
        "ORDER BY r.pending_until LIMIT %s" + _lock("FOR UPDATE OF r, s SKIP LOCKED")
    )
    unsubscribed = Subscriber.Status.UNSUBSCRIBED
    rows: list[SettledRow] = []
    for op, status, reason in (
        ("<>", Status.CONFIRMED, None),
        ("=", Status.REJECTED, Reason.UNSUBSCRIBED),
    ):
        if len(rows) < limit:
            rows += _claim(
                select=with_subscriber.format(op=op),
                params=[now, unsubscribed, limit - len(rows)],
                status=status,
                reason=reason,
                now=now,
                subscriber=True,
            )
    if len(rows) < limit:
        rows += _claim(
            select=(
                f"SELECT id FROM {referrals} WHERE status = 'pending' "  # noqa: S608
                "AND pending_until <= %s AND subscriber_id IS NULL "
                "ORDER BY pending_until LIMIT %s" + _lock("FOR UPDATE SKIP LOCKED")
            ),
            params=[now, limit - len(rows)],
            status=Status.REJECTED,
            reason=Reason.DELETED,
            now=now,
        )
    return rows


def _add_by_id(model: type[Model], deltas: dict[int, dict[str, int]]) -> None:
    """Add `deltas` ({row id: {column: amount}}) to the rows of `model`: locked in id order
    (so that concurrent writers never wait on each other in a circle), then one UPDATE ...
    FROM a VALUES list (PostgreSQL and SQLite alike)."""
    deltas = {pk: move for pk, move in deltas.items() if any(move.values())}
    if not deltas:
        return
    ids = sorted(deltas)
    list(
        model._default_manager.filter(pk__in=ids)
        .order_by("pk")
        .select_for_update()
        .values_list("pk")
    )
    columns = sorted({column for move in deltas.values() for column in move})
    table = model._meta.db_table
    row = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    params: list[int] = []
    for pk in ids:
        params += [pk, *(deltas[pk].get(column, 0) for column in columns)]
    sql = (
        f"WITH v (id, {', '.join(columns)}) AS (VALUES {', '.join([row] * len(ids))}) "  # noqa: S608
        f"UPDATE {table} SET "
        + ", ".join(f"{c} = {table}.{c} + v.{c}" for c in columns)
        + f" FROM v WHERE {table}.id = v.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def budget_move(rows: Sequence[SettledRow | PartnerReferral], *, confirmed: bool) -> None:
    """Settled referrals' reservations: to use (confirmed) or released (rejected); the
    program rows, then the campaigns' rows, set-based."""
    programs: Counter[tuple[int, date]] = Counter()
    campaigns: Counter[tuple[int, date]] = Counter()
    for r in rows:
        if r.payable and r.budget_month is not None and r.program_id is not None:
            programs[(r.program_id, r.budget_month)] += r.cpa_cents
            campaigns[(r.campaign_id, r.budget_month)] += r.cpa_cents
    used = 1 if confirmed else 0
    for model, key, cents in (
        (ProgramBudgetMonth, "program_id", programs),
        (CampaignBudgetMonth, "campaign_id", campaigns),
    ):
        if not cents:
            continue
        # The rows' ids, for the moves by id: the pairs' owners and months (a superset at
        # worst, which moves nothing).
        found = model._default_manager.filter(
            **{f"{key}__in": {owner for owner, _ in cents}},
            month__in={month for _, month in cents},
        ).values_list("pk", key, "month")
        _add_by_id(
            model,
            {
                pk: {
                    "reserved_cents": -cents[(owner, month)],
                    "used_cents": cents[(owner, month)] * used,
                }
                for pk, owner, month in found
                if (owner, month) in cents
            },
        )


def counters_add(moves: dict[int, dict[str, int]]) -> None:
    """Add to partner campaigns' counters ({campaign id: {counter: amount}}), set-based."""
    _add_by_id(PartnerCampaign, moves)


def _ledger_earned(rows: list[SettledRow], *, now: datetime) -> None:
    """One `earned` line per confirmed payable referral, in one INSERT ... SELECT."""
    ids = [r.id for r in rows if r.status == Status.CONFIRMED and r.payable]
    if not ids:
        return
    entries = EarningsEntry._meta.db_table
    referrals = PartnerReferral._meta.db_table
    sql = (
        f"INSERT INTO {entries} (partner_profile_id, kind, amount_cents, referral_id, created_at) "  # noqa: S608
        f"SELECT partner_profile_id, %s, cpa_cents, id, %s FROM {referrals} "
        f"WHERE id IN ({', '.join(['%s'] * len(ids))}) ORDER BY id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [EarningsEntry.Kind.EARNED, now, *ids])


def _events(rows: list[SettledRow], subscribers: dict[int, Subscriber]) -> None:
    """Each referral's event of its new status to both teams, built from the rows and one
    read of their campaigns."""
    campaigns = PartnerCampaign.objects.select_related(
        "publication", "partner_profile", "recommending_publication"
    ).in_bulk({r.campaign_id for r in rows})
    parts = {pk: campaign_parts(c) for pk, c in campaigns.items()}
    groups: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        subscriber = subscribers.get(r.subscriber_id) if r.subscriber_id else None
        payload = referral_payload(
            parts=parts[r.campaign_id],
            status=r.status,
            subscriber_public_id=subscriber.public_id if subscriber is not None else None,
            email=r.email,
            name=r.name,
            country_code=r.country_code,
            rejection_reason=r.rejection_reason,
            created_at=r.created_at,
            cpa_cents=r.cpa_cents,
            payable=r.payable,
        )
        kind = str(EVENT_OF_STATUS[Status(r.status)])
        groups[(r.team_id, kind)].append(payload)
        groups[(campaigns[r.campaign_id].team_id, kind)].append(payload)
    partner_referral_events_record_groups(groups)


def _after_claim(
    rows: list[SettledRow],
    *,
    now: datetime,
    subscribers: dict[int, Subscriber],
    statuses: bool = True,
) -> None:
    """What follows a batch of claimed (now settled) referrals: budgets, the ledger, the
    campaigns' counters, the subscribers' referral_status (unless the caller moved it) and
    the events."""
    confirmed = [r for r in rows if r.status == Status.CONFIRMED]
    rejected = [r for r in rows if r.status == Status.REJECTED]
    _ledger_earned(confirmed, now=now)
    if statuses:
        # Through the owner of referral_status (one UPDATE per status for the batch).
        for status, group in ((_VERIFIED, confirmed), (_REJECTED, rejected)):
            referral_statuses_set(
                subscribers=[
                    subscribers[r.subscriber_id] for r in group if r.subscriber_id in subscribers
                ],
                status=status,
            )
    _events(rows, subscribers)
    # Last, the rows every settler of the same programs and campaigns shares (budget months,
    # then the campaigns' counters, each in id order): held from here to the commit only,
    # so that settlers running at once overlap in everything above.
    budget_move(confirmed, confirmed=True)
    budget_move(rejected, confirmed=False)
    moves: dict[int, Counter[str]] = defaultdict(Counter)
    for r in rows:
        move = moves[r.campaign_id]
        move["pending_count"] -= 1
        move[f"{r.status}_count"] += 1
        if r.status == Status.CONFIRMED and r.payable:
            move["earnings_cents"] += r.cpa_cents
    counters_add({pk: dict(move) for pk, move in moves.items()})


_SUBSCRIBER_FIELDS = ["id", "team_id", *_SUBSCRIBER_COLUMNS]


def _subscribers(rows: list[SettledRow]) -> dict[int, Subscriber]:
    """The claimed referrals' subscribers from the columns their claim returned (locked,
    as they are in the database), for `referral_statuses_set`."""
    alias = connection.alias
    return {
        r.subscriber_id: Subscriber.from_db(
            alias,
            _SUBSCRIBER_FIELDS,
            (r.subscriber_id, r.team_id, r.subscriber_public_id, r.referrer_id, r.referral_status),
        )
        for r in rows
        if r.subscriber_id is not None and r.subscriber_public_id is not None
    }


def settle_batch(*, now: datetime, batch_size: int) -> int:
    """Claim and settle one batch, in one transaction; 0 when nothing is due."""
    with transaction.atomic():
        rows = _claim_due(now=now, limit=batch_size)
        if rows:
            _after_claim(rows, now=now, subscribers=_subscribers(rows))
        return len(rows)


def settle_due(*, now: datetime, batch_size: int, parallel: int) -> int:
    """Settle batches until nothing is due: `parallel` settlers at once, each in a thread with
    a database connection of its own (claims skip each other's locked rows, and the shared
    budget and counter rows are taken last in each batch, so they overlap in the rest).
    One settler on SQLite, or when called inside a transaction (a thread's connection would
    not see what that transaction has not committed)."""
    if parallel <= 1 or connection.vendor != "postgresql" or connection.in_atomic_block:
        return _settle_until_done(now=now, batch_size=batch_size)
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="settle") as pool:
        futures = [
            pool.submit(_settle_in_thread, now=now, batch_size=batch_size) for _ in range(parallel)
        ]
        return sum(future.result() for future in futures)


def _settle_until_done(*, now: datetime, batch_size: int) -> int:
    total = 0
    while True:
        settled = settle_batch(now=now, batch_size=batch_size)
        total += settled
        if settled < batch_size:
            return total


def _settle_in_thread(*, now: datetime, batch_size: int) -> int:
    try:
        return _settle_until_done(now=now, batch_size=batch_size)
    finally:
        connection.close()  # this thread's own


def reject_for_subscriber(*, subscriber: Subscriber, reason: str) -> int:
    """The pending referrals that created `subscriber`, rejected with `reason` (see
    services.partner_referral_reject_for_subscriber); in the caller's transaction."""
    referrals = PartnerReferral._meta.db_table
    rows = _claim(
        select=(
            f"SELECT id FROM {referrals} WHERE subscriber_id = %s "  # noqa: S608
            "AND status = 'pending' ORDER BY id" + _lock("FOR UPDATE")
        ),
        params=[subscriber.pk],
        status=Status.REJECTED,
        reason=reason,
        now=timezone.now(),
    )
    if rows:
        # The owner moved referral_status itself for a reject; a delete erases the subscriber.
        _after_claim(
            rows,
            now=timezone.now(),
            subscribers={subscriber.pk: subscriber},
            statuses=reason == Reason.UNSUBSCRIBED,
        )
    return len(rows)
