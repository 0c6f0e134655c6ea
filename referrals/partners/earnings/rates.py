"""Partner earnings: each program's maintained 90-day confirmation rate and its last 30 days'
counts (PartnerProgram's rate columns), recomputed in one statement after the hourly
settlement; what the upscribe ranking, the recommendations and the program objects read
instead of grouping the referrals on each request."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from referrals.partners.earnings.selectors import (
    AT_ONCE_REASONS,
    CONFIRMATION_MIN_SETTLED,
    CONFIRMATION_WINDOW,
)
from referrals.partners.models import PartnerProgram, PartnerReferral

# `last_30_days_confirmation_rate`: the window of PartnerProgram's recent_* counts.
RECENT_WINDOW = timedelta(days=30)

Status = PartnerReferral.Status

# Each program's referrals settled in the window, then the programs to write: those with
# some, and those that had some and have none left (reset). `w` is a GROUP BY of the
# window's settled referrals, once for all programs.
_RATES = """
WITH s AS (
    SELECT program_id, status, settled_at >= %(recent_since)s AS recent,
        (rejection_reason IS NULL OR rejection_reason NOT IN ({at_once})) AS counted
    FROM {referral}
    WHERE program_id IS NOT NULL AND status IN (%(confirmed)s, %(rejected)s)
        AND settled_at >= %(since)s
), w AS (
    SELECT program_id,
        SUM(CASE WHEN counted THEN 1 ELSE 0 END) AS settled,
        SUM(CASE WHEN counted AND status = %(confirmed)s THEN 1 ELSE 0 END) AS confirmed,
        SUM(CASE WHEN recent THEN 1 ELSE 0 END) AS recent_settled,
        SUM(CASE WHEN recent AND status = %(confirmed)s THEN 1 ELSE 0 END) AS recent_confirmed
    FROM s
    GROUP BY program_id
), v AS (
    SELECT p.id, COALESCE(w.settled, 0) AS settled, COALESCE(w.confirmed, 0) AS confirmed,
        COALESCE(w.recent_settled, 0) AS recent_settled,
        COALESCE(w.recent_confirmed, 0) AS recent_confirmed
    FROM {program} p LEFT JOIN w ON w.program_id = p.id
    WHERE w.program_id IS NOT NULL OR p.rate_settled_count > 0 OR p.recent_settled_count > 0
)
UPDATE {program} SET rate_settled_count = v.settled, rate_confirmed_count = v.confirmed,
    confirmation_rate = CASE WHEN v.settled >= %(min_settled)s
        THEN CAST(v.confirmed AS {float}) / v.settled END,
    recent_settled_count = v.recent_settled, recent_confirmed_count = v.recent_confirmed,
    rates_computed_at = %(now)s
FROM v WHERE {program}.id = v.id
RETURNING {program}.id
"""


@transaction.atomic
def program_rates_refresh(*, now: datetime | None = None) -> int:
    """Recompute every program's 90-day confirmation rate columns (PartnerProgram
    `rate_settled_count`, `rate_confirmed_count`, `confirmation_rate`, `rates_computed_at`)
    and its last 30 days' counts (`recent_settled_count`, `recent_confirmed_count`: every
    settled referral) in one statement: the programs with referrals settled in the windows,
    and those whose referrals all left them (back to 0, 0, None). The rate is confirmed /
    settled, None below CONFIRMATION_MIN_SETTLED; rejections at the door (AT_ONCE_REASONS)
    do not count in it. The hourly settlement task runs it right after settling; the
    upscribe ranking, the recommendations and the program objects read the columns.
    Returns how many programs were written."""
    now = now or timezone.now()
    sql = _RATES.format(
        referral=PartnerReferral._meta.db_table,
        program=PartnerProgram._meta.db_table,
        at_once=", ".join(f"%(at_once_{n})s" for n in range(len(AT_ONCE_REASONS))),
        float="DOUBLE PRECISION" if connection.vendor == "postgresql" else "REAL",
    )
    params: dict[str, Any] = {
        "confirmed": Status.CONFIRMED.value,
        "rejected": Status.REJECTED.value,
        "since": now - CONFIRMATION_WINDOW,
        "recent_since": now - RECENT_WINDOW,
        "min_settled": CONFIRMATION_MIN_SETTLED,
        "now": now,
    }
    params |= {f"at_once_{n}": str(reason) for n, reason in enumerate(AT_ONCE_REASONS)}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        # Counted from RETURNING: SQLite's rowcount is -1 for a statement opening with WITH.
        return len(cursor.fetchall())
