"""SQL statements of a subscribe with 3 picks (issue 10's ≥ 100 requests/s), counted, not
timed: a ratchet (lower LIMIT when a change saves a statement; bench/README.md, "Subscribe
with 3 picks", tells where the rest goes).

Read once for all the picks: the upscribe, the person, the picked campaigns with what a
referral reads and who has the person already. Then one transaction for all the picks
(earnings' `partner_referrals_create`): the budget reservations (one upsert for the
programs, one for the partner's caps), the recommended teams' subscribers (one INSERT; the
referrals app's side of them across the teams: default campaigns with their rewards,
memberships; their `sync_subscriber` events go with the referrals'), the team counters (one
upsert), the
screening (the partner's velocity, the blocklists: one query each), the referrals (one
INSERT), their campaigns' counters (one UPDATE), the events of every team and type (one
INSERT) and the picks (one INSERT).
Inside a test the transaction is a savepoint of the test's.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from referrals.partners.models import PartnerReferral
from referrals.partners.models.upscribe import Upscribe
from sparkloop.models import Team
from tests.partners.upscribe.helpers import NEEDS_REFERRALS, paid_recommendation

pytestmark = [pytest.mark.django_db, NEEDS_REFERRALS]

LIMIT = 18
"""97 before the picks' reads were batched and each reservation made one statement; 75
before the picks were made set-based in one transaction, 32 before the recommended teams'
side was set-based across the teams (`subscribers_created_across`); 24 with who has the
person read in the campaigns' query, which stale statistics planned badly (one more, 25);
19 before the default campaigns were read with their rewards in one statement."""


def _subscribe(client: APIClient, upscribe: Upscribe, email: str, codes: str) -> None:
    response = client.post(
        f"/v2/upscribes/{upscribe.public_id}/subscribe",
        {"subscriber_email": email, "recommendations": codes},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert {r["status"] for r in response.json()["referrals"]} == {"pending"}


def test_a_subscribe_with_three_picks_stays_within_its_statements(
    api_client: APIClient, team: Team, upscribe: Upscribe
) -> None:
    codes = ",".join(paid_recommendation(team).ref_code for _ in range(3))
    # The first makes the month's budget rows; a later visitor is the common case.
    _subscribe(api_client, upscribe, "first@example.com", codes)
    with CaptureQueriesContext(connection) as captured:
        _subscribe(api_client, upscribe, "visitor@example.com", codes)
    assert PartnerReferral.objects.filter(email="visitor@example.com").count() == 3
    statements = [q["sql"] for q in captured.captured_queries]
    # SQLite reads the default campaigns' rewards apart (no ordered JSON aggregate): one more.
    limit = LIMIT if connection.vendor == "postgresql" else LIMIT + 1
    assert len(statements) <= limit, "\n".join(statements)
