"""Writes of the webhooks app, re-exported from the modules of this package.

The package's own imports run one way: `publish` <- `events` <- `endpoints` <- `health`
<- `claims` / `recording` <- `sending`; `expand` (events into deliveries, in the worker)
on `publish`, and `sweep` on it; `resend` and `tokens` beside them;
`transport` uses no database. Nothing here imports `webhooks.tasks` (send tasks are
published by name).
"""

from __future__ import annotations

from webhooks.services.endpoints import (
    endpoint_create,
    endpoint_delete,
    endpoint_disable,
    endpoint_enable,
    endpoint_secret_rotate,
    endpoint_send_test,
    endpoint_update,
    endpoints_delete_for_campaign,
)
from webhooks.services.events import event_payload, event_record
from webhooks.services.publish import deliveries_publish, publish_resume
from webhooks.services.recording import RETRY_SCHEDULE
from webhooks.services.resend import delivery_resend
from webhooks.services.sending import deliveries_send, delivery_send
from webhooks.services.sweep import delivery_sweep
from webhooks.services.tokens import team_webhook_token_rotate

__all__ = [
    "RETRY_SCHEDULE",
    "deliveries_publish",
    "deliveries_send",
    "delivery_resend",
    "delivery_send",
    "delivery_sweep",
    "endpoint_create",
    "endpoint_delete",
    "endpoint_disable",
    "endpoint_enable",
    "endpoint_secret_rotate",
    "endpoint_send_test",
    "endpoint_update",
    "endpoints_delete_for_campaign",
    "event_payload",
    "event_record",
    "publish_resume",
    "team_webhook_token_rotate",
]
