"""The partner catalogue: every read that serves a request.

Team scoping lives here: a team's own publications, programs and partner campaigns, and the
network (other teams' active, listed programs and their publications: public facts only).
The cross-subpackage interface (used by earnings and upscribe) is declared here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from referrals.partners.catalog.filters import (
    NetworkProgramFilter,
    NetworkPublicationFilter,
    PartnerCampaignFilter,
    filtered,
)
from referrals.partners.earnings import selectors as earnings
from referrals.partners.earnings.selectors import BudgetUse
from referrals.partners.models import PartnerCampaign, PartnerProfile, PartnerProgram, Publication
from sparkloop.exceptions import NotFound
from sparkloop.models import Team

PUBLICATION_NOT_FOUND = "Publication {uuid} not found!"
PROGRAM_NOT_FOUND = "Partner program {uuid} not found!"
CAMPAIGN_NOT_FOUND = "Partner campaign {uuid} not found!"
NETWORK_PUBLICATION_NOT_FOUND = "Publication {uuid} not found."
NETWORK_PROGRAM_NOT_FOUND = "Partner program {uuid} not found."


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


# --- a team's own ------------------------------------------------------------------------


def publication_list(*, team: Team) -> QuerySet[Publication]:
    """The team's publications, newest first, with their program (if any)."""
    return (
        Publication.objects.filter(team=team)
        .select_related("partner_program")
        .order_by("-created_at", "-id")
    )


def publication_get(*, team: Team, uuid: str) -> Publication:
    publication = publication_list(team=team).filter(public_id=uuid.strip()).first()
    if publication is None:
        raise NotFound(PUBLICATION_NOT_FOUND.format(uuid=uuid))
    return publication


def program_list(*, team: Team) -> QuerySet[PartnerProgram]:
    """The team's partner programs, newest first, with their publication."""
    return (
        PartnerProgram.objects.filter(team=team)
        .select_related("publication")
        .order_by("-created_at", "-id")
    )


def program_get(*, team: Team, uuid: str) -> PartnerProgram:
    program = program_list(team=team).filter(public_id=uuid.strip()).first()
    if program is None:
        raise NotFound(PROGRAM_NOT_FOUND.format(uuid=uuid))
    return program


def _campaigns() -> QuerySet[PartnerCampaign]:
    return PartnerCampaign.objects.select_related(
        "publication", "program", "partner_profile"
    ).order_by("-created_at", "-id")


def program_partner_list(
    *, program: PartnerProgram, filters: Mapping[str, Any] | None = None
) -> QuerySet[PartnerCampaign]:
    """A program's partner campaigns (every status), newest first; `status` filters."""
    return filtered(PartnerCampaignFilter, filters or {}, _campaigns().filter(program=program))


def program_partner_get(*, program: PartnerProgram, uuid: str) -> PartnerCampaign:
    campaign = _campaigns().filter(program=program, public_id=uuid.strip()).first()
    if campaign is None:
        raise NotFound(CAMPAIGN_NOT_FOUND.format(uuid=uuid))
    return campaign


def partner_profile_get(*, team: Team) -> PartnerProfile:
    """The team's partner profile (every team has one, made with the team)."""
    return PartnerProfile.objects.select_related("team").get(team=team)


def partner_campaign_list(
    *, team: Team, filters: Mapping[str, Any] | None = None
) -> QuerySet[PartnerCampaign]:
    """The team's partner campaigns (its recommendations of other teams), newest first."""
    return filtered(
        PartnerCampaignFilter, filters or {}, _campaigns().filter(partner_profile__team=team)
    )


def partner_campaign_get(*, team: Team, uuid: str) -> PartnerCampaign:
    campaign = _campaigns().filter(partner_profile__team=team, public_id=uuid.strip()).first()
    if campaign is None:
        raise NotFound(CAMPAIGN_NOT_FOUND.format(uuid=uuid))
    return campaign


# --- the network (other teams' public side) ----------------------------------------------


def _listed_programs() -> QuerySet[PartnerProgram]:
    # The partial index program_network_idx holds exactly these programs.
    return PartnerProgram.objects.filter(
        status=PartnerProgram.Status.ACTIVE, show_in_directory=True
    ).exclude(publication__status=Publication.Status.ARCHIVED)


def network_publication_list(
    *, team: Team, filters: Mapping[str, Any] | None = None
) -> QuerySet[Publication]:
    """Other teams' publications whose program is active and listed (`show_in_directory`),
    searched, sorted and ordered by `filters` (NetworkPublicationFilter). One join."""
    publications = (
        Publication.objects.filter(
            partner_program__status=PartnerProgram.Status.ACTIVE,
            partner_program__show_in_directory=True,
        )
        .exclude(status=Publication.Status.ARCHIVED)
        .exclude(team=team)
        .select_related("partner_program")
    )
    return filtered(NetworkPublicationFilter, filters or {}, publications)


# What the network listing's objects show (NetworkPublicationOutputSerializer): the rest
# of the row (the search document, the program's terms) is left in the database.
NETWORK_LISTING_FIELDS = (
    "public_id",
    "name",
    "publication_url",
    "description",
    "categories",
    "status",
    "logo",
    "logo_url",
    "language",
    "send_frequency",
    "audience_gender",
    "income_levels",
    "age_ranges",
    "created_at",
    "partner_program__public_id",
)


def network_publication_listing(
    *, team: Team, filters: Mapping[str, Any] | None = None
) -> QuerySet[Publication]:
    """network_publication_list with only the columns its list page renders."""
    return network_publication_list(team=team, filters=filters).only(*NETWORK_LISTING_FIELDS)


def network_publication_get(*, team: Team, uuid: str) -> Publication:
    publication = network_publication_list(team=team).filter(public_id=uuid.strip()).first()
    if publication is None:
        raise NotFound(NETWORK_PUBLICATION_NOT_FOUND.format(uuid=uuid))
    return publication


def network_program_list(
    *, team: Team, filters: Mapping[str, Any] | None = None
) -> QuerySet[PartnerProgram]:
    """Other teams' active, listed programs, filtered and sorted by NetworkProgramFilter."""
    programs = _listed_programs().exclude(team=team).select_related("publication")
    return filtered(NetworkProgramFilter, filters or {}, programs)


def network_program_get(*, team: Team, uuid: str, own: bool = False) -> PartnerProgram:
    """A listed program of another team; with `own`, the team's own listed ones too (a
    join answers "You can't join your own partner program", not a 404)."""
    programs = _listed_programs().select_related("publication")
    if not own:
        programs = programs.exclude(team=team)
    program = programs.filter(public_id=uuid.strip()).first()
    if program is None:
        raise NotFound(NETWORK_PROGRAM_NOT_FOUND.format(uuid=uuid))
    return program


# --- the money facts of programs and partner campaigns (from earnings' ledger) ------------


@dataclass(frozen=True)
class ProgramFacts:
    """What a program object shows beside its terms: this month's budget use (cents,
    pending referrals reserved) and the confirmation rate (0.0-1.0, None below 20)."""

    budget: BudgetUse
    confirmation_rate: float | None


def program_facts(programs: Iterable[PartnerProgram]) -> dict[int, ProgramFacts]:
    """Each program's facts, in one query for any number of programs: the budget use; the
    rate is the program's own maintained `confirmation_rate` (the same definition as
    earnings' `program_confirmation_rates`, refreshed by the hourly settlement job: as of
    its last run, not a scan of the referrals per request)."""
    rates = {p.pk: p.confirmation_rate for p in programs}
    ids = sorted(rates)
    if not ids:
        return {}
    budgets = earnings.program_budget_use(ids, month=earnings.month_of(timezone.localdate()))
    return {
        pk: ProgramFacts(budget=budgets.get(pk, BudgetUse(0, 0)), confirmation_rate=rates[pk])
        for pk in ids
    }


def partner_campaign_facts(
    campaigns: Iterable[PartnerCampaign],
) -> tuple[dict[int, ProgramFacts], dict[int, BudgetUse]]:
    """The facts of the campaigns' programs, and each paid campaign's use of its monthly
    cap this month: what `remaining_budget` needs, in a fixed number of queries."""
    campaigns = list(campaigns)
    paid = [c for c in campaigns if c.program_id is not None]
    if not paid:
        return {}, {}
    programs = program_facts(c.program for c in paid if c.program is not None)
    month = earnings.month_of(timezone.localdate())
    use = earnings.campaign_budget_use(sorted({c.pk for c in paid}), month=month)
    return programs, use
