"""Generate's choice for one visitor as one SQL statement (§ Upscribe, generate).

The database applies every exclusion and the ranking and returns only the `limit` rows, with
what rendering them needs from the same joins (the upscribe's own setting of each row and
its program's budget left), so that generate's cost does not grow with the number of
recommendations in Python. Plain SQL that PostgreSQL and SQLite both run: the JSON lists are
matched on their text (`["US", "CA"]` holds `"US"` on both), as catalog's filters do.

The rules are those of catalog's `program_accepts_location` and of earnings' budgets and
confirmation rate (tests/partners/upscribe/test_generate.py checks them through the API).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils import timezone

from referrals.partners.earnings.selectors import (
    AT_ONCE_REASONS,
    CONFIRMATION_MIN_SETTLED,
    CONFIRMATION_WINDOW,
    month_of,
)
from referrals.partners.models import (
    CampaignBudgetMonth,
    PartnerCampaign,
    PartnerProfile,
    PartnerProgram,
    PartnerReferral,
    ProgramBudgetMonth,
)
from referrals.partners.models.upscribe import Upscribe, UpscribeRecommendation

# The ranking's confirmation rate for a program with too few settled referrals to have one.
UNKNOWN_RATE = 0.5
CHANNEL = "upscribe"


@dataclass(frozen=True)
class Ranked:
    """One chosen recommendation: its partner campaign's id, the upscribe's setting of it
    (an unsaved copy of its row; None without one) and, for a paid one, the program's
    budget left this month in cents."""

    campaign_id: int
    setting: UpscribeRecommendation | None
    available_budget_cents: int | None


def _t(model: type[Model]) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def _like(value: str) -> str:
    """A LIKE pattern that finds the JSON string `value` in a list's text."""
    quoted = json.dumps(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{quoted}%"


def _text(column: str) -> str:
    return f"UPPER(CAST({column} AS TEXT))"


def _geo(country: str | None) -> str:
    """program_accepts_location's rules over the joined program `p`."""
    if country is None:  # only a worldwide program without a block list takes them
        return "(p.allow_worldwide_referrals AND CAST(p.blocked_countries AS TEXT) = '[]')"
    esc = "ESCAPE '\\'"
    return (
        f"(NOT {_text('p.blocked_countries')} LIKE %(country)s {esc}"
        " AND (p.allow_worldwide_referrals"
        f" OR ((CAST(p.allowed_countries AS TEXT) = '[]'"
        f" OR {_text('p.allowed_countries')} LIKE %(country)s {esc})"
        f" AND (CAST(p.allowed_regions AS TEXT) = '[]'"
        f" OR {_text('p.allowed_regions')} LIKE %(region)s {esc}))))"
    )


SQL = """
WITH candidates AS (
    SELECT c.id, c.program_id, c.created_at
    FROM {campaign} c JOIN {profile} pp ON pp.id = c.partner_profile_id
    WHERE pp.team_id = %(team)s AND c.status = %(active)s
), rates AS (
    SELECT r.program_id,
        CAST(SUM(CASE WHEN r.status = %(confirmed)s THEN 1 ELSE 0 END) AS {float})
            / COUNT(*) AS rate
    FROM {referral} r
    WHERE r.program_id IN (SELECT program_id FROM candidates WHERE program_id IS NOT NULL)
        AND r.status IN (%(confirmed)s, %(rejected)s) AND r.settled_at >= %(since)s
        AND (r.rejection_reason IS NULL OR r.rejection_reason NOT IN ({at_once}))
    GROUP BY r.program_id
    HAVING COUNT(*) >= %(min_settled)s
)
SELECT c.id, s.id, s.pinned, s.position, s.reason, s.paused,
    p.total_budget_cents - COALESCE(pb.reserved_cents + pb.used_cents, 0)
FROM candidates c
LEFT JOIN {setting} s ON s.campaign_id = c.id AND s.upscribe_id = %(upscribe)s
LEFT JOIN {program} p ON p.id = c.program_id
LEFT JOIN {program_month} pb ON pb.program_id = c.program_id AND pb.month = %(month)s
LEFT JOIN {campaign_month} cb ON cb.campaign_id = c.id AND cb.month = %(month)s
LEFT JOIN rates rt ON rt.program_id = c.program_id
WHERE (s.paused IS NULL OR NOT s.paused)
    AND (c.program_id IS NULL OR (
        p.status = %(active)s
        AND CAST(p.can_be_recommended_via AS TEXT) LIKE %(channel)s ESCAPE '\\'
        AND {geo}
        AND COALESCE(pb.reserved_cents + pb.used_cents, 0) + p.cpa_cents <= p.total_budget_cents
        AND COALESCE(cb.reserved_cents + cb.used_cents, 0) + p.cpa_cents <= p.max_payout_cents
    ))
ORDER BY CASE WHEN s.pinned THEN 0 ELSE 1 END,
    CASE WHEN s.pinned THEN s.position END ASC NULLS LAST,
    CASE WHEN c.program_id IS NULL THEN 0.0
        ELSE p.cpa_cents * COALESCE(rt.rate, %(unknown)s) END DESC,
    c.created_at DESC, c.id DESC
LIMIT %(limit)s
"""


def ranked_for_visitor(
    *, upscribe: Upscribe, country_code: str | None, region_code: str | None, limit: int
) -> list[Ranked]:
    """The upscribe's first `limit` recommendations for a visitor from `country_code` and
    `region_code`: active ones only, never one paused by this upscribe, whose program is
    not active or not recommendable through an upscribe, lacks this month's budget for one
    more CPA, whose partner is at the program's monthly cap, or whose geo rules refuse the
    visitor. Pinned first (by position), then by expected earnings (CPA x the program's
    confirmation rate over 90 days, UNKNOWN_RATE below 20 settled referrals; free ones
    earn 0), then newest first. One statement."""
    country = (country_code or "").strip().upper() or None
    sql = SQL.format(
        campaign=_t(PartnerCampaign),
        profile=_t(PartnerProfile),
        referral=_t(PartnerReferral),
        setting=_t(UpscribeRecommendation),
        program=_t(PartnerProgram),
        program_month=_t(ProgramBudgetMonth),
        campaign_month=_t(CampaignBudgetMonth),
        float="DOUBLE PRECISION" if connection.vendor == "postgresql" else "REAL",
        at_once=", ".join(f"%(at_once_{n})s" for n in range(len(AT_ONCE_REASONS))),
        geo=_geo(country),
    )
    params: dict[str, Any] = {
        "team": upscribe.team_id,
        "upscribe": upscribe.pk,
        "active": PartnerCampaign.Status.ACTIVE.value,
        "confirmed": PartnerReferral.Status.CONFIRMED.value,
        "rejected": PartnerReferral.Status.REJECTED.value,
        "since": timezone.now() - CONFIRMATION_WINDOW,
        "min_settled": CONFIRMATION_MIN_SETTLED,
        "month": month_of(timezone.now().date()),
        "channel": _like(CHANNEL),
        "country": _like(country or ""),
        "region": _like((region_code or "").strip().upper()),
        "unknown": UNKNOWN_RATE,
        "limit": limit,
    }
    params |= {f"at_once_{n}": str(reason) for n, reason in enumerate(AT_ONCE_REASONS)}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [_ranked(upscribe, row) for row in rows]


def _ranked(upscribe: Upscribe, row: tuple[Any, ...]) -> Ranked:
    campaign_id, setting_id, pinned, position, reason, paused, available = row
    setting = None
    if setting_id is not None:
        setting = UpscribeRecommendation(
            id=setting_id,
            upscribe=upscribe,
            campaign_id=campaign_id,
            pinned=bool(pinned),
            position=position,
            reason=reason,
            paused=bool(paused),
        )
    return Ranked(
        campaign_id=campaign_id,
        setting=setting,
        available_budget_cents=None if available is None else max(0, int(available)),
    )
