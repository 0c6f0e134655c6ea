"""Fraud signals of a referral: each is a code and a human reason, kept on the referral."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from disposable_email_domains import blocklist as DISPOSABLE_DOMAINS
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from referrals.models import BlocklistEntry, Campaign, Referral
from subscribers.models import Subscriber

SELF_REFERRAL_EMAIL = "self_referral_email"
SELF_REFERRAL_IP = "self_referral_ip"
DISPOSABLE_EMAIL = "disposable_email"
VELOCITY_REFERRER = "velocity_referrer"
VELOCITY_IP = "velocity_ip"
BLOCKLISTED = "blocklisted"

# A referred subscriber from the referrer's own IP address this soon after the referrer
# signed up is most likely the referrer again.
SAME_IP_WINDOW = timedelta(hours=24)
VELOCITY_WINDOW = timedelta(hours=1)

Signal = dict[str, str]


def _signal(code: str, reason: str) -> Signal:
    return {"code": code, "reason": reason}


def _split(email: str) -> tuple[str, str]:
    local, _, domain = email.lower().rpartition("@")
    return local, domain


def _local_pattern(local: str) -> str:
    # john.doe+2@, johndoe7@ and john_doe@ are one person's variations of johndoe@.
    local = local.split("+", 1)[0]
    return re.sub(r"[\d._-]+", "", local)


def _domain_is_disposable(domain: str) -> bool:
    parts = domain.split(".")
    return any(".".join(parts[i:]) in DISPOSABLE_DOMAINS for i in range(len(parts) - 1))


def blocklist_entries(*, team_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
    """Each team's blocklist as `(kind, pattern)` pairs, in one query: for a caller that
    screens referrals into several teams at once (`referral_signals(entries=...)`)."""
    entries: dict[int, list[tuple[str, str]]] = {team_id: [] for team_id in team_ids}
    if not entries:
        return entries
    # Written out: on subscribe's path, the ORM's compiling cost more than the query.
    table = connection.ops.quote_name(BlocklistEntry._meta.db_table)
    marks = ", ".join(["%s"] * len(entries))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT team_id, kind, pattern FROM {table} WHERE team_id IN ({marks}) "  # noqa: S608
            "ORDER BY id",
            list(entries),
        )
        for team_id, kind, pattern in cursor.fetchall():
            entries[team_id].append((kind, pattern))
    return entries


def _blocklisted(
    team_id: int, referred: Subscriber, entries: Iterable[tuple[str, str]] | None = None
) -> list[Signal]:
    _local, domain = _split(referred.email)
    values: dict[str, str] = {
        BlocklistEntry.Kind.EMAIL: referred.email.lower(),
        BlocklistEntry.Kind.DOMAIN: domain,
        BlocklistEntry.Kind.IP: referred.ip_address or "",
    }
    signals = []
    if entries is None:
        entries = BlocklistEntry.objects.filter(team_id=team_id).values_list("kind", "pattern")
    for kind, pattern in entries:
        value = values.get(kind, "")
        if value and fnmatch.fnmatchcase(value, pattern.lower().strip()):
            signals.append(
                _signal(BLOCKLISTED, f"{kind} {value} matches the blocklist ({pattern})")
            )
    return signals


def referral_signals(
    *,
    referred: Subscriber,
    referrer: Subscriber,
    blocklist: bool = True,
    entries: Iterable[tuple[str, str]] | None = None,
) -> list[Signal]:
    """The signals that do not depend on a campaign's limits (`blocklist=False`: the team
    is known to block nothing, so its blocklist is not read; `entries`: the team's
    blocklist as `blocklist_entries` read it, not read again)."""
    signals: list[Signal] = []
    r_local, r_domain = _split(referrer.email)
    s_local, s_domain = _split(referred.email)
    if r_domain == s_domain and _local_pattern(r_local) == _local_pattern(s_local):
        signals.append(
            _signal(SELF_REFERRAL_EMAIL, "Same email domain and local part as the referrer")
        )
    if (
        referred.ip_address
        and referred.ip_address == referrer.ip_address
        and abs(referred.created_at - referrer.created_at) <= SAME_IP_WINDOW
    ):
        signals.append(
            _signal(SELF_REFERRAL_IP, "Same IP address as the referrer, within 24 hours")
        )
    if _domain_is_disposable(s_domain):
        signals.append(_signal(DISPOSABLE_EMAIL, f"Disposable email domain {s_domain}"))
    if blocklist:
        signals.extend(_blocklisted(referred.team_id, referred, entries))
    return signals


def screening_figures_sql(*, referred: Subscriber, referrer: Subscriber) -> tuple[str, list[Any]]:
    """Select-list columns (`velocity_referrer`, `velocity_ip`, `blocks`) with their
    parameters, for a caller that reads them along with its own row (the create reads them
    with the referrer's campaigns): `velocity_counts`' two counts, and whether the team
    has any blocklist entry. Portable SQL (PostgreSQL and SQLite)."""
    referral = connection.ops.quote_name(Referral._meta.db_table)
    entry = connection.ops.quote_name(BlocklistEntry._meta.db_table)
    since = connection.ops.adapt_datetimefield_value(timezone.now() - VELOCITY_WINDOW)
    # A referral without an address never counts towards an address's velocity.
    ip = referred.ip_address or None
    # Only table names (quoted) are formatted in; every value is a parameter.
    sql = (
        f"(SELECT COUNT(DISTINCT r.referred_id) FROM {referral} r WHERE r.created_at >= %s"  # noqa: S608
        " AND r.referrer_id = %s AND r.referred_id <> %s) AS velocity_referrer, "
        f"(SELECT COUNT(DISTINCT r.referred_id) FROM {referral} r WHERE r.created_at >= %s"
        " AND r.team_id = %s AND r.ip_address = %s AND r.referred_id <> %s) AS velocity_ip, "
        f"EXISTS (SELECT 1 FROM {entry} b WHERE b.team_id = %s) AS blocks"
    )
    params = [since, referrer.pk, referred.pk, since, referred.team_id, ip, referred.pk]
    return sql, [*params, referred.team_id]


def velocity_counts(*, referred: Subscriber, referrer: Subscriber) -> dict[str, int]:
    """Referrals in the last hour by this referrer and from this IP (this one excluded)."""
    since = timezone.now() - VELOCITY_WINDOW
    by_referrer = Q(referrer=referrer)
    from_ip = Q(team_id=referred.team_id, ip_address=referred.ip_address)
    recent = Referral.objects.filter(created_at__gte=since).exclude(referred=referred)
    if not referred.ip_address:
        from_ip = Q(pk__in=[])
    # Both in one query (each referred subscriber counted once, whatever its campaigns).
    counts = recent.filter(by_referrer | from_ip).aggregate(
        referrer=Count("referred_id", distinct=True, filter=by_referrer),
        ip=Count("referred_id", distinct=True, filter=from_ip),
    )
    return {"referrer": int(counts["referrer"]), "ip": int(counts["ip"])}


def screening_campaigns(*, team_ids: Iterable[int]) -> dict[int, Campaign]:
    """The default campaign of each of `team_ids` that has one (whose settings screen a
    referral from outside the team), in one query."""
    rows = Campaign.objects.filter(team_id__in=set(team_ids), is_default=True)
    return {campaign.team_id: campaign for campaign in rows}


def campaign_signals(
    campaign: Campaign, base: list[Signal], velocity: dict[str, Any]
) -> list[Signal]:
    """All signals of a referral in `campaign` (none when its screening is off)."""
    if not campaign.screening_enabled:
        return []
    signals = list(base)
    if velocity["referrer"] >= campaign.referrer_velocity_limit:
        signals.append(
            _signal(
                VELOCITY_REFERRER,
                f"More than {campaign.referrer_velocity_limit} referrals by the referrer "
                "in an hour",
            )
        )
    if velocity["ip"] >= campaign.ip_velocity_limit:
        signals.append(
            _signal(
                VELOCITY_IP,
                f"More than {campaign.ip_velocity_limit} referrals from this IP in an hour",
            )
        )
    return signals
