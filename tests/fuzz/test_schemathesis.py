"""schemathesis against the live schema: no 5xx, and every response as the schema says.

Bounded (FUZZ_EXAMPLES examples per operation, default 15; valid and invalid requests) to stay
within a few minutes on a small CI machine; deselect locally with `-m "not fuzz"`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (  # registered checks, looked up by name
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.generation.case import Case
from schemathesis.schemas import APIOperation, BaseSchema

from referrals.models import Campaign
from sparkloop.models import Team
from sparkloop.services import api_key_create
from subscribers.services import subscriber_create

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_schema(db: None) -> Iterator[BaseSchema]:
    # Requests go through the real WSGI handler, in the test's transaction. Like Django's test
    # client, keep the handler from closing the test's database connection after each one.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi(
            "/v2/schema",
            get_wsgi_application(),
            headers={"Accept": "application/vnd.oai.openapi+json"},
        )
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_key(team: Team) -> str:
    # A custom tier high enough that the fuzzing is never throttled (429 is documented too,
    # but a throttled run would test nothing else).
    Team.objects.filter(pk=team.pk).update(
        rate_limit_tier=Team.RateLimitTier.CUSTOM,
        custom_rate_limit=1_000_000,
        custom_rate_period=60,
    )
    # Some rows, so that lists and lookups return objects to check against the schema.
    referrer = subscriber_create(team=team, email="advocate@example.com", name="Ann")
    subscriber_create(team=team, email="friend@example.com", referrer_code=referrer.ref_code)
    _, raw = api_key_create(team=team, name="fuzz")
    return raw


def fuzz(operation: APIOperation[Any, Any, Any, Any], key: str) -> None:
    """Valid and invalid requests for one operation; raises the first failure Hypothesis finds."""
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        # The same examples on every run, so a CI failure reproduces locally; FUZZ_RANDOM=1
        # explores new ones.
        derandomize=not os.environ.get("FUZZ_RANDOM"),
        suppress_health_check=list(HealthCheck),
        database=None,
        phases=[Phase.explicit, Phase.generate],  # report the first failure, unshrunk: fast
    )
    @given(case=strategy)
    def run(case: Case[Any]) -> None:
        case.call_and_validate(headers={"X-Api-Key": key}, checks=CHECKS)

    run()


@pytest.mark.fuzz
def test_the_api_keeps_to_its_schema(api_schema: BaseSchema, fuzz_key: str) -> None:
    # One test over all operations rather than schemathesis' pytest parametrization, whose
    # lazy (fixture) loader does not run on pytest 9; every operation's failure is reported.
    failures = []
    operations = []
    for result in api_schema.get_all_operations():
        assert isinstance(result, Ok), result  # an operation the schema does not describe
        operations.append(result.ok())
    assert len(operations) >= 9  # the subscriber endpoints at least
    for operation in operations:
        try:
            fuzz(operation, fuzz_key)
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup is the latter
            failures.append(f"{operation.label}:\n{exc}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.fuzz
def test_real_objects_keep_to_the_schema(api_schema: BaseSchema, fuzz_key: str, team: Team) -> None:
    # Random identifiers rarely hit an object, so the happy paths are checked on real ones.
    campaign = Campaign.objects.get(team=team, is_default=True)
    member = campaign.memberships.select_related("subscriber").first()
    assert member is not None
    cases = [
        ("/v2/subscribers/", "GET", {}, {"expand": "campaigns"}),
        ("/v2/subscribers/{id}/", "GET", {"id": member.subscriber.email}, {}),
        ("/v2/campaigns/", "GET", {}, {}),
        ("/v2/campaigns/{id}/", "GET", {"id": campaign.public_id}, {}),
        ("/v2/campaigns/{id}/leaderboard/", "GET", {"id": campaign.public_id}, {}),
        (
            "/v2/campaigns/{campaign_pk}/subscribers/",
            "GET",
            {"campaign_pk": campaign.public_id},
            {},
        ),
        (
            "/v2/campaigns/{campaign_pk}/subscribers/{id}/",
            "GET",
            {"campaign_pk": campaign.public_id, "id": member.subscriber.public_id},
            {},
        ),
        (
            "/v2/campaigns/{campaign_pk}/subscribers/{id}/referrals/",
            "GET",
            {"campaign_pk": campaign.public_id, "id": member.subscriber.public_id},
            {},
        ),
    ]
    for path, method, path_parameters, query in cases:
        case = api_schema[path][method].Case(path_parameters=path_parameters, query=query)
        response = case.call_and_validate(headers={"X-Api-Key": fuzz_key}, checks=CHECKS)
        assert response.status_code == 200, (path, response.text)
