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
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils import timezone

from referrals.partners.earnings.selectors import month_of
from referrals.partners.models import (
    CampaignBudgetMonth,
    PartnerCampaign,
    PartnerProfile,
    PartnerProgram,
    ProgramBudgetMonth,
    Publication,
)
from referrals.partners.models.upscribe import Upscribe, UpscribeRecommendation
from sparkloop.rows import model_columns, row_load

# The ranking's confirmation rate for a program with too few settled referrals to have one.
UNKNOWN_RATE = 0.5
CHANNEL = "upscribe"


@dataclass(frozen=True)
class Ranked:
    """One chosen recommendation: its partner campaign (with its publication and program
    loaded), the upscribe's setting of it (an unsaved copy of its row; None without one),
    for a paid one the program's budget left this month in cents, and the program's
    confirmed share in percent of its referrals settled in the last 30 days (None:
    nothing settled; the program's recent_* counts, as of the hourly settlement job)."""

    campaign: PartnerCampaign
    setting: UpscribeRecommendation | None
    available_budget_cents: int | None
    confirmation_rate: int | None


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
WITH paid AS (
    SELECT c.id AS campaign_id, c.program_id, c.created_at,
        s.id AS setting_id, s.pinned, s.position, s.reason, s.paused,
        p.total_budget_cents - COALESCE(pb.reserved_cents + pb.used_cents, 0) AS available,
        CASE WHEN s.pinned THEN 0 ELSE 1 END AS pin_rank,
        CASE WHEN s.pinned THEN s.position END AS pin_position,
        p.cpa_cents * COALESCE(p.confirmation_rate, %(unknown)s) AS expected
    FROM {campaign} c
    JOIN {program} p ON p.id = c.program_id
    LEFT JOIN {setting} s ON s.campaign_id = c.id AND s.upscribe_id = %(upscribe)s
    LEFT JOIN {program_month} pb ON pb.program_id = c.program_id AND pb.month = %(month)s
    LEFT JOIN {campaign_month} cb ON cb.campaign_id = c.id AND cb.month = %(month)s
    WHERE c.partner_profile_id = {profile_id} AND c.status = %(active)s
        AND (s.paused IS NULL OR NOT s.paused)
        AND p.status = %(active)s
        AND CAST(p.can_be_recommended_via AS TEXT) LIKE %(channel)s ESCAPE '\\'
        AND {geo}
        AND COALESCE(pb.reserved_cents + pb.used_cents, 0) + p.cpa_cents
            <= p.total_budget_cents
        AND COALESCE(cb.reserved_cents + cb.used_cents, 0) + p.cpa_cents
            <= p.max_payout_cents
), free AS (
    SELECT c.id AS campaign_id, c.program_id, c.created_at,
        s.id AS setting_id, s.pinned, s.position, s.reason, s.paused,
        CAST(NULL AS BIGINT) AS available,
        CASE WHEN s.pinned THEN 0 ELSE 1 END AS pin_rank,
        CASE WHEN s.pinned THEN s.position END AS pin_position,
        0.0 AS expected
    FROM {campaign} c
    LEFT JOIN {setting} s ON s.campaign_id = c.id AND s.upscribe_id = %(upscribe)s
    WHERE c.partner_profile_id = {profile_id} AND c.status = %(active)s
        AND c.program_id IS NULL AND (s.paused IS NULL OR NOT s.paused)
    ORDER BY pin_rank, pin_position ASC NULLS LAST, c.created_at DESC, c.id DESC
    LIMIT %(limit)s
), top AS (
    SELECT * FROM paid
    UNION ALL
    SELECT * FROM free
    ORDER BY pin_rank, pin_position ASC NULLS LAST, expected DESC,
        created_at DESC, campaign_id DESC
    LIMIT %(limit)s
)
SELECT top.setting_id, top.pinned, top.position, top.reason, top.paused, top.available,
    p.recent_confirmed_count, p.recent_settled_count, {columns}
FROM top
JOIN {campaign} c ON c.id = top.campaign_id
JOIN {publication} pu ON pu.id = c.publication_id
LEFT JOIN {program} p ON p.id = c.program_id
ORDER BY top.pin_rank, top.pin_position ASC NULLS LAST, top.expected DESC,
    top.created_at DESC, top.campaign_id DESC
"""
LOADED: tuple[tuple[type[Model], str], ...] = (
    (PartnerCampaign, "c"),
    (Publication, "pu"),
    (PartnerProgram, "p"),
)


@cache
def _columns() -> str:
    return ", ".join(model_columns(model, alias) for model, alias in LOADED)


def ranked_for_visitor(
    *, upscribe: Upscribe, country_code: str | None, region_code: str | None, limit: int
) -> list[Ranked]:
    """The upscribe's first `limit` recommendations for a visitor from `country_code` and
    `region_code`: active ones only, never one paused by this upscribe, whose program is
    not active or not recommendable through an upscribe, lacks this month's budget for one
    more CPA, whose partner is at the program's monthly cap, or whose geo rules refuse the
    visitor. Pinned first (by position), then by expected earnings (CPA x the program's
    confirmation rate over 90 days, UNKNOWN_RATE below 20 settled referrals; free ones
    earn 0), then newest first. One statement. The 90-day rate is the program's maintained
    `confirmation_rate` (refreshed by the hourly settlement job: as of its last run), not
    a scan of the referrals."""
    country = (country_code or "").strip().upper() or None
    sql = SQL.format(
        campaign=_t(PartnerCampaign),
        setting=_t(UpscribeRecommendation),
        program=_t(PartnerProgram),
        program_month=_t(ProgramBudgetMonth),
        campaign_month=_t(CampaignBudgetMonth),
        publication=_t(Publication),
        profile_id=f"(SELECT pp.id FROM {_t(PartnerProfile)} pp WHERE pp.team_id = %(team)s)",  # noqa: S608
        columns=_columns(),
        geo=_geo(country),
    )
    params: dict[str, Any] = {
        "team": upscribe.team_id,
        "upscribe": upscribe.pk,
        "active": PartnerCampaign.Status.ACTIVE.value,
        "month": month_of(timezone.now().date()),
        "channel": _like(CHANNEL),
        "country": _like(country or ""),
        "region": _like((region_code or "").strip().upper()),
        "unknown": UNKNOWN_RATE,
        "limit": limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [_ranked(upscribe, row) for row in rows]


def _ranked(upscribe: Upscribe, row: Sequence[Any]) -> Ranked:
    setting_id, pinned, position, reason, paused, available, confirmed, settled = row[:8]
    values = row[8:]
    loaded = []
    for model, _ in LOADED:
        width = len(model._meta.concrete_fields)
        loaded.append(values[:width])
        values = values[width:]
    campaign = row_load(PartnerCampaign, loaded[0])
    campaign.publication = row_load(Publication, loaded[1])
    campaign.program = row_load(PartnerProgram, loaded[2]) if campaign.program_id else None
    setting = None
    if setting_id is not None:
        setting = UpscribeRecommendation(
            id=setting_id,
            upscribe=upscribe,
            campaign_id=campaign.pk,
            pinned=bool(pinned),
            position=position,
            reason=reason,
            paused=bool(paused),
        )
    return Ranked(
        campaign=campaign,
        setting=setting,
        available_budget_cents=None if available is None else max(0, int(available)),
        confirmation_rate=round(100 * int(confirmed) / int(settled)) if settled else None,
    )
