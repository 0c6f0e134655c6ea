"""The partner catalogue: every read that serves a request.

The cross-subpackage interface (used by earnings and upscribe) is declared here with typed
stubs; the catalogue's owner fills in the bodies.
"""

from __future__ import annotations

from referrals.partners.models import PartnerProgram


def program_accepts_location(
    program: PartnerProgram, *, country_code: str | None, region_code: str | None = None
) -> bool:
    """Whether `program`'s geo rules accept a visitor from `country_code` (alpha-2, any
    case) and `region_code`.

    Worldwide programs accept everyone not in `blocked_countries`; otherwise the country
    must be in `allowed_countries` (when that list is set) and not in `blocked_countries`,
    and, when `allowed_regions` is set, the region must be one of them. An unknown country
    (None) is accepted only by a worldwide program without a block list. Pure: no query.
    Used by `partner_referral_create` (`country_not_allowed`) and by the upscribe's choice
    of recommendations.
    """
    country = (country_code or "").strip().upper() or None
    blocked = {c.upper() for c in program.blocked_countries}
    if country is None:
        return program.allow_worldwide_referrals and not blocked
    if country in blocked:
        return False
    if program.allow_worldwide_referrals:
        return True
    allowed = {c.upper() for c in program.allowed_countries}
    if allowed and country not in allowed:
        return False
    if program.allowed_regions:
        region = (region_code or "").strip().upper()
        return region in {r.upper() for r in program.allowed_regions}
    return True
