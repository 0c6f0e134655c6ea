"""Writes of webhook endpoints: create, update, delete, secret rotation, enable/disable, test."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from sparkloop.api.fields import iso_z
from sparkloop.exceptions import InvalidState, ServiceError
from sparkloop.models import Team
from sparkloop.updates import UNSET
from webhooks.addresses import UnsafeUrl, url_check
from webhooks.models import (
    DOCUMENTED_EVENT_FLAGS,
    EVENT_FLAGS,
    Event,
    WebhookDelivery,
    WebhookEndpoint,
    new_signing_secret,
)
from webhooks.services.events import deliveries_create, event_create, event_record

WEBHOOK_DISABLED = "Webhook {uuid} is disabled"
DISABLED_BY_TEAM = "Disabled by the team"
DEFAULT_ROTATION_GRACE = timedelta(hours=24)
TEST_MESSAGE = "This is a test webhook. It needs no action."


def _url_validate(url: str) -> str:
    url = url.strip()
    try:
        url_check(url)
    except UnsafeUrl as exc:
        raise ServiceError(exc.message, code="invalid_url") from None
    return url


def _endpoint_object(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """An endpoint as the `webhook_disabled` and `webhook_test` payloads carry it."""
    return {"uuid": endpoint.public_id, "url": endpoint.url}


@transaction.atomic
def endpoint_create(
    *,
    team: Team,
    url: str,
    events: dict[str, bool | None] | None = None,
    campaign_uuid: str = "",
) -> WebhookEndpoint:
    """Register a URL for a team's events (only those of one campaign with `campaign_uuid`,
    as API v1 makes them: `WebhookEndpoint.covers`).

    A documented flag (`new_referral`, …) not given is null (off); an extension flag not
    given is on (SparkLoop sends those events with no flag to turn them off).
    Raises ServiceError with the URL rule's message (not https, private address, invalid).
    """
    flags: dict[str, bool | None] = {
        str(name): (None if name in DOCUMENTED_EVENT_FLAGS else True) for name in EVENT_FLAGS
    }
    flags.update(events or {})
    return WebhookEndpoint.objects.create(
        team=team, url=_url_validate(url), events=flags, campaign_uuid=campaign_uuid
    )


@transaction.atomic
def endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    url: str = UNSET,
    events: dict[str, bool | None] | None = None,
    enabled: bool = UNSET,
) -> WebhookEndpoint:
    """Change the URL and/or event flags (only those given); `enabled=True` re-enables it
    and forgets its failure history, `enabled=False` disables it (the team is not told:
    it asked)."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if url is not UNSET:
        endpoint.url = _url_validate(url)
    if events:
        endpoint.events = {**endpoint.events, **events}
    if enabled is True and not endpoint.is_enabled:
        endpoint.is_enabled = True
        endpoint.disabled_at = None
        endpoint.disabled_reason = ""
        endpoint.failing_since = None
        endpoint.consecutive_failures = 0
    elif enabled is False and endpoint.is_enabled:
        endpoint.is_enabled = False
        endpoint.disabled_at = timezone.now()
        endpoint.disabled_reason = DISABLED_BY_TEAM
    endpoint.save()
    return endpoint


@transaction.atomic
def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint with its deliveries (queued sends find nothing and do nothing)."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()


@transaction.atomic
def endpoints_delete_for_campaign(*, team: Team, campaign_uuid: str) -> int:
    """Delete the endpoints made under a campaign (which is being deleted); returns how many."""
    if not campaign_uuid:  # the team-wide endpoints belong to no campaign
        return 0
    deleted = WebhookEndpoint.objects.filter(team=team, campaign_uuid=campaign_uuid).delete()
    return deleted[1].get(WebhookEndpoint._meta.label, 0)


@transaction.atomic
def endpoint_secret_rotate(
    *, endpoint: WebhookEndpoint, grace: timedelta = DEFAULT_ROTATION_GRACE
) -> WebhookEndpoint:
    """Give the endpoint a new signing secret; the old one keeps signing during `grace`,
    so both signatures are sent until the receiver has switched over."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.previous_secret = endpoint.secret if grace > timedelta(0) else ""
    endpoint.previous_secret_expires_at = timezone.now() + grace if grace > timedelta(0) else None
    endpoint.secret = new_signing_secret()
    endpoint.save()
    return endpoint


@transaction.atomic
def endpoint_disable(*, endpoint_id: int, reason: str) -> bool:
    """Disable an endpoint and tell the team (a `webhook_disabled` event to its other
    endpoints; the admin shows the flag and reason). False if it was already disabled."""
    now = timezone.now()
    changed = WebhookEndpoint.objects.filter(pk=endpoint_id, is_enabled=True).update(
        is_enabled=False, disabled_at=now, disabled_reason=reason[:255], updated_at=now
    )
    if not changed:
        return False
    endpoint = WebhookEndpoint.objects.select_related("team").get(pk=endpoint_id)
    event_record(
        team=endpoint.team,
        type=Event.Type.WEBHOOK_DISABLED,
        payload={
            "webhook": _endpoint_object(endpoint),
            "reason": endpoint.disabled_reason,
            "created_at": iso_z(now),
        },
    )
    return True


@transaction.atomic
def endpoint_enable(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Enable an endpoint again and forget its failures (resend its failed deliveries
    afterwards if they are wanted)."""
    return endpoint_update(endpoint=endpoint, enabled=True)


@transaction.atomic
def endpoint_send_test(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Send a `webhook_test` event to this endpoint only ("Send test webhook").

    Raises InvalidState when the endpoint is disabled.
    """
    if not endpoint.is_enabled:
        raise InvalidState(WEBHOOK_DISABLED.format(uuid=endpoint.public_id))
    event = event_create(
        team_id=endpoint.team_id,
        type=Event.Type.WEBHOOK_TEST,
        payload={
            "webhook": _endpoint_object(endpoint),
            "message": TEST_MESSAGE,
            "created_at": iso_z(timezone.now()),
        },
        expanded=True,  # to this endpoint only
    )
    return deliveries_create(event=event, endpoints=[endpoint])[0]
