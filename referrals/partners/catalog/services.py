"""The partner catalogue: every write, one transaction each (keyword-only, typed).

Rules the database holds too (one program per publication, a partner joins a program once
and recommends a publication for free once, unique slugs): a race past the check meets the
constraint, caught in a savepoint and answered with the same sentence as the check.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import RestrictedError
from django.utils import timezone

from referrals.partners.models import PartnerCampaign, PartnerProfile, PartnerProgram, Publication
from sparkloop.exceptions import Conflict, InvalidState, NotFound, ServiceError
from sparkloop.models import Team
from sparkloop.updates import UNSET, model_update

PUBLICATION_HAS_ACTIVE_PROGRAM = "Publication has an active partner program"
# Extension: partner referrals are an audit trail (append-only ledger), never deleted.
PUBLICATION_HAS_REFERRALS = "Publication has partner referrals"
PUBLICATION_NOT_FOUND = "Publication {uuid} not found!"
PUBLICATION_HAS_PROGRAM = "Publication already has a partner program"
GEO_LISTS_BLANK = "Allowed countries or blocked countries can't be blank"
SLUG_TAKEN = "Slug has already been taken"
ALREADY_JOINED = "You have already joined this partner program"
OWN_PROGRAM = "You can't join your own partner program"
ALREADY_RECOMMENDED = "This partner campaign already exists"
NOT_PENDING = "Partner campaign {uuid} is not pending approval"

PUBLICATION_FIELDS = (
    "name",
    "description",
    "categories",
    "list_id",
    "status",
    "publication_url",
    "language",
    "send_frequency",
    "audience_gender",
    "income_levels",
    "age_ranges",
    "auto_pilot",
    "logo_url",
)
PROGRAM_FIELDS = (
    "status",
    "cpa_cents",
    "max_payout_cents",
    "total_budget_cents",
    "redirect_url",
    "thankyou_page_url",
    "terms",
    "resources_url",
    "ideal_subscriber",
    "slug",
    "show_in_directory",
    "referral_pending_duration_enabled",
    "referral_pending_duration",
    "allow_worldwide_referrals",
    "allowed_countries",
    "blocked_countries",
    "allowed_regions",
    "can_be_recommended_via",
    "requires_approval",
    "pilot_phase",
)
PROFILE_FIELDS = ("name", "website_url", "logo_url", "payout_email")


@transaction.atomic
def partner_profile_setup(*, team: Team) -> PartnerProfile:
    """Give `team` its partner profile (named after the team) unless it has one.

    Called by the `team_created` receiver inside `team_create`'s transaction; the data
    migration 0002 did the same for the teams that existed before.
    """
    profile, _ = PartnerProfile.objects.get_or_create(team=team, defaults={"name": team.name})
    return profile


@transaction.atomic
def partner_profile_update(*, profile: PartnerProfile, **data: Any) -> PartnerProfile:
    """Change the profile's `name`, `website_url`, `logo_url` or `payout_email`."""
    profile, _ = model_update(instance=profile, fields=PROFILE_FIELDS, data=data)
    return profile


# --- publications ------------------------------------------------------------------------


def _store_logo(publication: Publication, logo: UploadedFile[bytes] | None) -> None:
    """Attach an uploaded logo through Django's storage API (STORAGES["default"]); the
    file wins over `logo_url`, which is cleared."""
    if logo is None:
        return
    extension = "png" if getattr(logo, "image_format", "PNG") == "PNG" else "jpg"
    publication.logo.save(f"{publication.public_id}.{extension}", logo, save=False)
    publication.logo_url = ""


def publication_create(
    *, team: Team, logo: UploadedFile[bytes] | None = None, **data: Any
) -> Publication:
    """Create a publication of `team` (`draft` unless `status` says otherwise).

    The logo file is written to storage before the row's transaction (slow I/O stays out
    of it); a failed insert leaves an unreferenced file, never a row without its file.
    """
    fields = {k: v for k, v in data.items() if k in PUBLICATION_FIELDS and v is not UNSET}
    publication = Publication(team=team, **{k: v for k, v in fields.items() if v is not None})
    _store_logo(publication, logo)
    with transaction.atomic():
        publication.save(force_insert=True)
    return Publication.objects.select_related("partner_program").get(pk=publication.pk)


def publication_update(
    *, publication: Publication, logo: UploadedFile[bytes] | None = None, **data: Any
) -> Publication:
    """Change any of a publication's create fields; a new logo file replaces the old one
    (whose file is deleted from storage once the change has committed)."""
    old_logo = publication.logo.name
    _store_logo(publication, logo)
    clean = {k: ("" if v is None else v) for k, v in data.items() if k in PUBLICATION_FIELDS}
    if logo is not None:
        clean.pop("logo_url", None)
    elif clean.get("logo_url"):
        clean["logo"] = ""
    with transaction.atomic():
        _, changed = model_update(
            instance=publication, fields=(*PUBLICATION_FIELDS, "logo"), data=clean, save=False
        )
        if logo is not None:
            changed += ["logo", "logo_url"]
        if changed:
            publication.save(update_fields=[*set(changed), "updated_at"])
        if old_logo and old_logo != publication.logo.name:
            storage = publication.logo.storage
            transaction.on_commit(lambda: storage.delete(old_logo))
    publication.refresh_from_db()
    return publication


@transaction.atomic
def publication_delete(*, publication: Publication) -> None:
    """Delete a publication, its program and the partner campaigns recommending it;
    refused while its program is active (pause or archive the program first)."""
    locked = Publication.objects.select_for_update().filter(pk=publication.pk).first()
    if locked is None:
        return
    if PartnerProgram.objects.filter(
        publication=locked, status=PartnerProgram.Status.ACTIVE
    ).exists():
        raise InvalidState(PUBLICATION_HAS_ACTIVE_PROGRAM)
    logo = locked.logo.name
    storage = locked.logo.storage
    try:
        with transaction.atomic():
            locked.delete()
    except RestrictedError:  # its partner referrals are kept (earnings' models)
        raise InvalidState(PUBLICATION_HAS_REFERRALS) from None
    if logo:
        transaction.on_commit(lambda: storage.delete(logo))


# --- partner programs --------------------------------------------------------------------


def _check_geo(program: PartnerProgram) -> None:
    if not program.allow_worldwide_referrals and not (
        program.allowed_countries or program.blocked_countries
    ):
        raise ServiceError(GEO_LISTS_BLANK)


def _save_program(program: PartnerProgram, **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            program.save(**kwargs)
    except IntegrityError:
        if (
            PartnerProgram.objects.filter(publication_id=program.publication_id)
            .exclude(pk=program.pk)
            .exists()
        ):
            raise Conflict(PUBLICATION_HAS_PROGRAM) from None
        raise Conflict(SLUG_TAKEN) from None


@transaction.atomic
def program_create(*, team: Team, publication_uuid: str, **data: Any) -> PartnerProgram:
    """Create the partner program of one of `team`'s publications (one each).

    Raises ServiceError `Publication <uuid> not found!` (400: a body field, not the path)
    for another team's or a missing publication, Conflict when it has a program already
    or the slug is taken, ServiceError when geo rules name no country list.
    """
    publication = (
        Publication.objects.select_for_update()
        .filter(team=team, public_id=publication_uuid.strip())
        .first()
    )
    if publication is None:
        raise ServiceError(PUBLICATION_NOT_FOUND.format(uuid=publication_uuid))
    if PartnerProgram.objects.filter(publication=publication).exists():
        raise Conflict(PUBLICATION_HAS_PROGRAM)
    fields = {k: v for k, v in data.items() if k in PROGRAM_FIELDS and v is not None}
    if fields.get("slug") == "":
        fields["slug"] = None
    program = PartnerProgram(team=team, publication=publication, **fields)
    _check_geo(program)
    _save_program(program, force_insert=True)
    return program


@transaction.atomic
def program_update(*, program: PartnerProgram, **data: Any) -> PartnerProgram:
    """Change a program's terms, geo rules, approval or status (`active`, `paused`,
    `archived`); the geo rule holds on the result."""
    clean = dict(data)
    if "slug" in clean and not clean["slug"]:
        clean["slug"] = None
    for text in ("thankyou_page_url", "terms", "resources_url", "ideal_subscriber"):
        if text in clean and clean[text] is None:
            clean[text] = ""
    _, changed = model_update(instance=program, fields=PROGRAM_FIELDS, data=clean, save=False)
    if changed:
        _check_geo(program)
        _save_program(program, update_fields=[*changed, "updated_at"])
    return program


# --- partner campaigns: join, recommend, approve, reject ----------------------------------


def _create_campaign(campaign: PartnerCampaign, duplicate: str) -> PartnerCampaign:
    for _ in range(8):
        try:
            with transaction.atomic():
                campaign.save(force_insert=True)
            return campaign
        except IntegrityError:
            # The partner got there first (a double click), or the ref_code collided.
            exists = PartnerCampaign.objects.filter(partner_profile=campaign.partner_profile)
            if campaign.program_id is not None:
                exists = exists.filter(program_id=campaign.program_id)
            else:
                exists = exists.filter(publication=campaign.publication, campaign_type="free")
            if exists.exists():
                raise Conflict(duplicate) from None
            campaign.pk = None
            campaign.ref_code = PartnerCampaign._meta.get_field("ref_code").get_default()
    raise Conflict(duplicate)  # pragma: no cover - 8 collisions in a 2^40 space


@transaction.atomic
def partner_campaign_join(
    *, profile: PartnerProfile, program: PartnerProgram, reason_for_recommending: str
) -> PartnerCampaign:
    """`profile` joins another team's `program`: a paid partner campaign, `active` at once
    or `pending` when the program `requires_approval` (the owner approves or rejects)."""
    if program.team_id == profile.team_id:
        raise InvalidState(OWN_PROGRAM)
    if PartnerCampaign.objects.filter(partner_profile=profile, program=program).exists():
        raise Conflict(ALREADY_JOINED)
    now = timezone.now()
    campaign = PartnerCampaign(
        team_id=profile.team_id,
        partner_profile=profile,
        publication=program.publication,
        program=program,
        campaign_type=PartnerCampaign.Type.PARTNER_PROGRAM,
        status=(
            PartnerCampaign.Status.PENDING
            if program.requires_approval
            else PartnerCampaign.Status.ACTIVE
        ),
        reason_for_recommending=reason_for_recommending,
        accepted_terms_at=now,
    )
    return _create_campaign(campaign, ALREADY_JOINED)


@transaction.atomic
def partner_campaign_recommend(
    *, profile: PartnerProfile, publication: Publication
) -> PartnerCampaign:
    """`profile` recommends another team's `publication` for free (never payable)."""
    if publication.team_id == profile.team_id:
        raise NotFound(f"Publication {publication.public_id} not found.")
    if PartnerCampaign.objects.filter(
        partner_profile=profile, publication=publication, campaign_type="free"
    ).exists():
        raise Conflict(ALREADY_RECOMMENDED)
    campaign = PartnerCampaign(
        team_id=profile.team_id,
        partner_profile=profile,
        publication=publication,
        campaign_type=PartnerCampaign.Type.FREE,
        status=PartnerCampaign.Status.ACTIVE,
    )
    return _create_campaign(campaign, ALREADY_RECOMMENDED)


def _decide(campaign: PartnerCampaign, status: str) -> PartnerCampaign:
    # The claim: only a pending request changes, once, whoever decides at the same time.
    claimed = PartnerCampaign.objects.filter(
        pk=campaign.pk, status=PartnerCampaign.Status.PENDING
    ).update(status=status, decided_at=timezone.now(), updated_at=timezone.now())
    if not claimed:
        raise InvalidState(NOT_PENDING.format(uuid=campaign.public_id))
    campaign.refresh_from_db()
    return campaign


@transaction.atomic
def partner_campaign_approve(*, campaign: PartnerCampaign) -> PartnerCampaign:
    """The program's owner accepts a pending join request: the campaign becomes active."""
    return _decide(campaign, PartnerCampaign.Status.ACTIVE)


@transaction.atomic
def partner_campaign_reject(*, campaign: PartnerCampaign) -> PartnerCampaign:
    """The program's owner refuses a pending join request: the campaign is rejected."""
    return _decide(campaign, PartnerCampaign.Status.REJECTED)
