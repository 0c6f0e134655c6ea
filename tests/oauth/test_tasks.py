"""The beat job that clears expired tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from sparkloop.models import Team
from sparkloop.oauth.models import AccessToken, Grant
from sparkloop.oauth.tasks import oauth_tokens_clear_expired_task
from tests.oauth.helpers import issue_token, make_app, make_member


def test_the_clear_expired_job_is_scheduled_by_beat() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["oauth-clear-expired-tokens"]
    assert entry["task"] == "sparkloop.oauth.tasks.oauth_tokens_clear_expired_task"


@pytest.mark.django_db
def test_clear_expired_task_deletes_expired_tokens_and_codes_once(team: Team) -> None:
    app, _ = make_app()
    issue_token(team=team, scope="read:subscribers", app=app, expires_in=-60)
    live = issue_token(team=team, scope="read:subscribers", app=app, expires_in=3600)
    Grant.objects.create(
        user=make_member(team),
        application=app,
        team=team,
        code="expired-code",
        redirect_uri="https://partner.example/callback",
        scope="read:subscribers",
        expires=timezone.now() - timedelta(minutes=5),
    )

    oauth_tokens_clear_expired_task()
    oauth_tokens_clear_expired_task()  # run twice, one effect

    assert AccessToken.objects.count() == 1
    assert AccessToken.objects.get().expires > timezone.now()
    assert not Grant.objects.exists()
    assert live
