"""`last_30_days_confirmation_rate` of generate and of the recommendations' list: the
program's maintained last-30-days counts, as of the hourly settlement job."""

from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient

from referrals.partners.earnings.tasks import partner_referrals_settle_task
from referrals.partners.models.upscribe import Upscribe
from sparkloop.models import Team
from tests.partners.factories import settled_referrals
from tests.partners.upscribe.helpers import paid_recommendation


def test_generate_and_the_list_show_the_last_settlement_runs_30_days(
    api_client: APIClient, team: Team, upscribe: Upscribe
) -> None:
    campaign = paid_recommendation(team)
    settled_referrals(campaign, days=2, outcomes={None: 3, "unsubscribed": 1})
    path = f"/v2/upscribes/{upscribe.public_id}/recommendations"

    def shown() -> list[list[Any]]:
        generated = api_client.post(path, {"limit": 5}, format="json").json()
        listed = api_client.get(path).json()
        return [
            [r["last_30_days_confirmation_rate"] for r in generated["recommendations"]],
            [r["last_30_days_confirmation_rate"] for r in listed["recommendations"]],
        ]

    assert shown() == [[None], [None]]  # until the hourly job has run
    partner_referrals_settle_task()
    assert shown() == [[75], [75]]
