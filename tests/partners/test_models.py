"""The partner side's foundation: every team has a partner profile, codes and the ledger's
exactly-once rules are held by the database."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from referrals.partners.catalog.services import partner_profile_setup
from referrals.partners.models import EarningsEntry, PartnerCampaign, PartnerProfile
from referrals.partners.models.catalog import new_partner_ref_code
from sparkloop.models import Team
from tests.factories import TeamFactory
from tests.partners.factories import PartnerCampaignFactory, PartnerReferralFactory

pytestmark = pytest.mark.django_db


def test_it_gives_a_new_team_its_partner_profile(team: Team) -> None:
    profile = PartnerProfile.objects.get(team=team)
    assert profile.name == "alice-news"
    assert re.fullmatch(r"partner_[0-9a-f]{12}", profile.public_id)


def test_setting_up_a_profile_again_keeps_the_one_the_team_has(team: Team) -> None:
    before = PartnerProfile.objects.get(team=team)
    assert partner_profile_setup(team=team) == before
    assert PartnerProfile.objects.filter(team=team).count() == 1


def test_a_team_has_at_most_one_profile(team: Team) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerProfile.objects.create(team=team, name="second")


def test_a_partner_campaign_gets_a_ten_hex_ref_code_and_its_own_ids() -> None:
    campaign = PartnerCampaignFactory.create()
    assert re.fullmatch(r"[0-9a-f]{10}", campaign.ref_code)
    assert re.fullmatch(r"partner_campaign_[0-9a-f]{12}", campaign.public_id)
    assert len({new_partner_ref_code() for _ in range(200)}) == 200


def test_two_campaigns_never_share_a_ref_code() -> None:
    first = PartnerCampaignFactory.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerCampaignFactory.create(ref_code=first.ref_code)


def test_a_partner_joins_a_program_once() -> None:
    first = PartnerCampaignFactory.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerCampaignFactory.create(program=first.program, team=first.team)


def test_a_partner_recommends_a_publication_for_free_once() -> None:
    paid = PartnerCampaignFactory.create()
    free = {
        "team": paid.team,
        "partner_profile": paid.partner_profile,
        "publication": paid.publication,
        "campaign_type": PartnerCampaign.Type.FREE,
    }
    PartnerCampaign.objects.create(**free)  # a free one beside the paid one
    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerCampaign.objects.create(**free)


def test_a_referral_is_earned_once_in_the_ledger() -> None:
    referral = PartnerReferralFactory.create()
    entry = {
        "partner_profile": referral.partner_profile,
        "kind": EarningsEntry.Kind.EARNED,
        "amount_cents": 250,
        "referral": referral,
    }
    EarningsEntry.objects.create(**entry)
    with pytest.raises(IntegrityError), transaction.atomic():
        EarningsEntry.objects.create(**entry)
    assert re.fullmatch(r"partner_referral_[0-9a-f]{12}", referral.public_id)


# The data migration: teams that existed before the app get their profile.

BEFORE = [("partners", "0001_initial")]
AFTER = [("partners", "0002_partner_profiles")]


def migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.fixture
def migrated_back(transactional_db: None) -> Iterator[None]:
    migrate(BEFORE)
    yield
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_the_data_migration_gives_each_existing_team_a_profile(migrated_back: None) -> None:
    # Teams made as before the app: rows only, no receiver ran.
    old_team = (
        MigrationExecutor(connection)
        .loader.project_state(BEFORE)
        .apps.get_model("sparkloop", "Team")
    )
    old_team.objects.create(name="old-news")
    old_team.objects.create(name="older-news")
    assert PartnerProfile.objects.count() == 0
    kept = TeamFactory.create(name="new-news")  # already has one, through the receiver
    kept_profile = PartnerProfile.objects.get(team=kept)

    migrate(AFTER)

    assert sorted(PartnerProfile.objects.values_list("name", flat=True)) == [
        "new-news",
        "old-news",
        "older-news",
    ]
    assert PartnerProfile.objects.get(team=kept) == kept_profile
    assert all(
        re.fullmatch(r"partner_[0-9a-f]{12}", p)
        for p in PartnerProfile.objects.values_list("public_id", flat=True)
    )
