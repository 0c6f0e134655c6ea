"""The picked campaigns' read of subscribe (`recommendations_by_ref_code`), written out in
SQL: the same campaigns as the ORM's query of the upscribe's active, unpaused
recommendations, loaded with the same values and related rows as earnings'
`referral_campaigns` loads them (REFERRAL_CAMPAIGN_RELATED), in one query."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext

from referrals.partners.earnings.selectors import (
    REFERRAL_CAMPAIGN_RELATED,
    campaign_loaded,
    referral_campaigns,
)
from referrals.partners.models import PartnerCampaign
from referrals.partners.models.upscribe import Upscribe
from referrals.partners.upscribe.selectors import recommendations_by_ref_code
from referrals.partners.upscribe.services import recommendation_setting_update, upscribe_create
from sparkloop.models import Team
from tests.partners.factories import PublicationFactory
from tests.partners.upscribe.helpers import free_recommendation, paid_recommendation

pytestmark = pytest.mark.django_db


def _values(instance: Model | None) -> dict[str, Any] | None:
    if instance is None:
        return None
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def _loaded(campaign: PartnerCampaign) -> list[dict[str, Any] | None]:
    """The campaign's values and those of every related row a referral reads."""
    rows = [_values(campaign)]
    for path in REFERRAL_CAMPAIGN_RELATED:
        instance: Any = campaign
        for name in path.split("__"):
            instance = getattr(instance, name) if instance is not None else None
        rows.append(_values(instance))
    return rows


def test_it_loads_the_picked_campaigns_as_the_orm_does(
    team: Team, other_team: Team, upscribe: Upscribe
) -> None:
    paid = paid_recommendation(team, recommending_publication=upscribe.publication)
    free = free_recommendation(team)
    paused = paid_recommendation(team)
    recommendation_setting_update(upscribe=upscribe, campaign=paused, paused=True)
    inactive = paid_recommendation(team, status=PartnerCampaign.Status.PAUSED)
    theirs = free_recommendation(other_team)
    codes = [c.ref_code for c in (paid, free, paused, inactive, theirs)] + ["nope"]

    with CaptureQueriesContext(connection) as captured:
        picked = recommendations_by_ref_code(upscribe=upscribe, ref_codes=codes)

    assert len(captured) == 1
    assert set(picked) == {paid.ref_code, free.ref_code}
    expected = referral_campaigns(campaign_ids=[paid.pk, free.pk])
    for campaign in picked.values():
        assert campaign_loaded(campaign)
        assert _loaded(campaign) == _loaded(expected[campaign.pk])
    assert picked[free.ref_code].program is None
    with CaptureQueriesContext(connection) as captured:
        _loaded(picked[paid.ref_code])  # everything was loaded: no query more
    assert not captured


def test_it_reads_nothing_for_no_codes(upscribe: Upscribe) -> None:
    with CaptureQueriesContext(connection) as captured:
        assert recommendations_by_ref_code(upscribe=upscribe, ref_codes=[]) == {}
    assert not captured


def test_subscribe_answers_404_for_an_unknown_or_other_teams_upscribe(
    api_client: Any, team: Team, other_team: Team, upscribe: Upscribe
) -> None:
    theirs = upscribe_create(
        team=other_team, publication=PublicationFactory.create(team=other_team)
    )
    for public_id in (theirs.public_id, "ups_nope"):
        response = api_client.post(
            f"/v2/upscribes/{public_id}/subscribe",
            {"subscriber_email": "lee@example.com", "recommendations": "x"},
            format="json",
        )
        assert response.status_code == 404
        assert response.json() == {"error": f"Upscribe {public_id} not found."}
