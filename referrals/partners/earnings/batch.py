"""Partner earnings: the set-based parts of several partner referrals made at once (the picks
of one upscribe subscribe): budget reservations, screening reads, counters and events, each a
fixed number of statements whatever the number of referrals.

Lock order (services.py's): the program budget rows, then the partners' caps, each in id
order, then the partner campaigns in id order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from itertools import groupby
from operator import itemgetter
from typing import Any

from django.db import connection
from django.db.models import Count, F, Model

from referrals.models import Campaign
from referrals.partners.earnings.payloads import EVENT_OF_STATUS, partner_referral_payload
from referrals.partners.models import (
    CampaignBudgetMonth,
    PartnerCampaign,
    PartnerProgram,
    PartnerReferral,
    ProgramBudgetMonth,
)
from referrals.screening import (
    blocklist_entries,
    campaign_signals,
    referral_signals,
    screening_campaigns,
)
from referrals.services import campaign_default, standing_of
from sparkloop.prepared import prepared_cursor
from subscribers.models import Subscriber
from webhooks.services.events_batch import events_record_later


def _reserve_many(
    model: type[Model], owner: str, rows: Sequence[tuple[int, int, int]], *, month: date
) -> set[int]:
    """Reserve each row's CPA in `model`'s row of its owner and `month` while reserved +
    used + CPA stays within the row's limit, creating the rows needed: one INSERT ... ON
    CONFLICT DO UPDATE ... WHERE for all of them (PostgreSQL and SQLite alike); the owners
    reserved. `rows` are `(owner id, cpa, limit)` of distinct owners: one row is never
    reserved twice by a statement. Rows go in owner order (the lock order)."""
    table = model._meta.db_table
    values = ", ".join(["(%s, %s, %s)"] * len(rows))
    params: list[Any] = []
    for row in sorted(rows):
        params += row
    # Only table and column names are formatted in; every value is a parameter.
    sql = (
        f"WITH v (owner, cpa, lim) AS (VALUES {values}) "  # noqa: S608
        f"INSERT INTO {table} ({owner}, month, reserved_cents, used_cents) "
        "SELECT v.owner, %s, v.cpa, 0 FROM v WHERE v.cpa <= v.lim ORDER BY v.owner "
        f"ON CONFLICT ({owner}, month) DO UPDATE SET "
        f"reserved_cents = {table}.reserved_cents + excluded.reserved_cents "
        f"WHERE {table}.reserved_cents + {table}.used_cents + excluded.reserved_cents <= "
        f"(SELECT v.lim FROM v WHERE v.owner = {table}.{owner}) "
        f"RETURNING {owner}"
    )
    with prepared_cursor() as cursor:
        cursor.execute(sql, [*params, month])
        return {int(owner_id) for (owner_id,) in cursor.fetchall()}


def _reserve_round(
    pairs: Sequence[tuple[PartnerCampaign, PartnerProgram]], *, month: date
) -> set[int]:
    budgets = [(p.pk, p.cpa_cents, p.total_budget_cents) for _, p in pairs]
    held = _reserve_many(ProgramBudgetMonth, "program_id", budgets, month=month)
    caps = [(c.pk, p.cpa_cents, p.max_payout_cents) for c, p in pairs if p.pk in held]
    reserved = (
        _reserve_many(CampaignBudgetMonth, "campaign_id", caps, month=month) if caps else set()
    )
    for campaign, program in pairs:
        if program.pk in held and campaign.pk not in reserved:
            # The partner's cap is reached: give the program's reservation back (its row is
            # locked by this transaction since the statement above).
            ProgramBudgetMonth.objects.filter(program=program, month=month).update(
                reserved_cents=F("reserved_cents") - program.cpa_cents
            )
    return reserved


def budgets_reserve_many(
    pairs: Sequence[tuple[PartnerCampaign, PartnerProgram]], *, month: date
) -> set[int]:
    """Reserve each (distinct) campaign's CPA in this month's budget of its program and in
    the partner's monthly cap, both or neither (services._budget_reserve for many): two
    statements, the programs' then the caps of those reserved; the campaign ids reserved.
    Campaigns of a program already in the statement go in a next round."""
    reserved: set[int] = set()
    remaining = list(pairs)
    while remaining:
        seen: set[int] = set()
        round_: list[tuple[PartnerCampaign, PartnerProgram]] = []
        later: list[tuple[PartnerCampaign, PartnerProgram]] = []
        for campaign, program in remaining:
            (later if program.pk in seen else round_).append((campaign, program))
            seen.add(program.pk)
        reserved |= _reserve_round(round_, month=month)
        remaining = later
    return reserved


def _recent_counts(counts: Sequence[tuple[int, int]], *, since: datetime) -> dict[int, int]:
    """Each campaign's referrals since `since`, counted up to its limit only (`(campaign id,
    limit)`): whether a limit is reached is all the screening asks, and a busy partner's hour
    can hold thousands. One statement for all of them."""
    table = connection.ops.quote_name(PartnerReferral._meta.db_table)
    after = connection.ops.adapt_datetimefield_value(since)
    # Only the table name is formatted in; every value is a parameter.
    one = (
        f"SELECT %s, (SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE campaign_id = %s"  # noqa: S608
        " AND created_at >= %s LIMIT %s) AS r)"
    )
    params: list[Any] = []
    for campaign_id, limit in counts:
        params += [campaign_id, campaign_id, after, limit]
    with prepared_cursor() as cursor:
        cursor.execute(" UNION ALL ".join([one] * len(counts)), params)
        return {int(campaign_id): int(n) for campaign_id, n in cursor.fetchall()}


def referrals_screen(
    referrals: Sequence[PartnerReferral], *, ip_address: str | None, origin: str, window: timedelta,
    now: datetime,
) -> None:  # fmt: skip
    """Set each referral's `signals`: the referral screening of `referrals/` against the
    partner (standing in as the referrer: its payout email), with the recommended team's
    limits (its default campaign) and blocklist. Reads, for all of them at once: the teams'
    default campaigns (unless the subscribers' creates kept them), and for the teams that
    screen, the campaigns' referrals in the last `window` (up to the limit), the
    subscribers of `origin` from `ip_address` in it per team (this one excepted) and the
    teams' blocklists."""
    if not referrals:
        return
    team_ids = {r.team_id for r in referrals}
    # The default campaign each subscriber was just counted within, else read.
    defaults: dict[int, Campaign] = {}
    for referral in referrals:
        standing = standing_of(referral.subscriber) if referral.subscriber else None
        if standing is not None:
            defaults[referral.team_id] = standing[0]
    if team_ids - set(defaults):
        defaults |= screening_campaigns(team_ids=team_ids - set(defaults))
    for referral in referrals:
        if referral.team_id not in defaults:  # a team that predates default campaigns
            defaults[referral.team_id] = campaign_default(team=referral.team)
    screened = [r for r in referrals if defaults[r.team_id].screening_enabled]
    for referral in referrals:
        referral.signals = []  # campaign_signals' answer when the screening is off
    if not screened:
        return
    since = now - window
    limits = {r.campaign_id: defaults[r.team_id].referrer_velocity_limit for r in screened}
    by_campaign = _recent_counts(sorted(limits.items()), since=since)
    from_ip: dict[int, int] = {}
    if ip_address:
        same_ip = (
            Subscriber.objects.filter(
                team_id__in={r.team_id for r in screened},
                origin=origin,
                ip_address=ip_address,
                created_at__gte=since,
            )
            .values_list("team_id")
            .annotate(n=Count("id"))
        )
        from_ip = dict(same_ip)
    entries = blocklist_entries(team_ids={r.team_id for r in screened})
    for referral in screened:
        subscriber = referral.subscriber
        assert subscriber is not None  # noqa: S101 - only referrals that made one are screened
        partner = Subscriber(
            team_id=referral.team_id,
            email=referral.campaign.partner_profile.payout_email or "",
            created_at=now,
        )
        base = referral_signals(
            referred=subscriber, referrer=partner, entries=entries[referral.team_id]
        )
        velocity = {"referrer": by_campaign.get(referral.campaign_id, 0), "ip": 0}
        if subscriber.ip_address:
            velocity["ip"] = from_ip.get(referral.team_id, 0) - 1  # this one
        referral.signals = campaign_signals(defaults[referral.team_id], base, velocity)


def counters_add_many(referrals: Sequence[PartnerReferral]) -> None:
    """One more pending or rejected referral in each one's campaign's counters, in one
    UPDATE (services._counters_add for many). Written out, not built by the ORM: its
    `Case(When(...))` cost more to compile than the statement takes to run."""
    pending = {r.campaign_id for r in referrals if r.status == PartnerReferral.Status.PENDING}
    rejected = {r.campaign_id for r in referrals if r.status == PartnerReferral.Status.REJECTED}
    if not pending | rejected:
        return
    sets: list[str] = []
    params: list[int] = []
    for column, ids in (("pending_count", pending), ("rejected_count", rejected)):
        if ids:
            marks = ", ".join(["%s"] * len(ids))
            sets.append(f"{column} = {column} + CASE WHEN id IN ({marks}) THEN 1 ELSE 0 END")
            params += sorted(ids)
    everyone = sorted(pending | rejected)
    table = connection.ops.quote_name(PartnerCampaign._meta.db_table)
    # Only table and column names are formatted in; every value is a parameter.
    sql = (
        f"UPDATE {table} SET {', '.join(sets)} "  # noqa: S608
        f"WHERE id IN ({', '.join(['%s'] * len(everyone))})"
    )
    with prepared_cursor() as cursor:
        cursor.execute(sql, [*params, *everyone])


def referral_events_record(referrals: Sequence[PartnerReferral]) -> None:
    """Each referral's event of its status to both teams (payloads.partner_referral_event_record
    for many), recorded with `events_record_later` (one INSERT with the other events of an
    `events_deferred()` block): teams in id order, each team's events in the referrals'
    order (as one create after another)."""
    streams: dict[int, list[tuple[str, dict[str, Any]]]] = {}
    for referral in referrals:
        payload = partner_referral_payload(referral)
        kind = str(EVENT_OF_STATUS[PartnerReferral.Status(referral.status)])
        for team_id in (referral.team_id, referral.campaign.team_id):
            streams.setdefault(team_id, []).append((kind, payload))
    for team_id, stream in sorted(streams.items()):
        for kind, run in groupby(stream, key=itemgetter(0)):
            events_record_later(team_id=team_id, type=kind, payloads=[p for _, p in run])
