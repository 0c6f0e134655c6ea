"""Writes of the webhooks app (re-exported from the modules of this package)."""

from __future__ import annotations

from webhooks.services.delivery import (
    RETRY_SCHEDULE,
    deliveries_resend,
    deliveries_send,
    delivery_resend,
    delivery_send,
    delivery_sweep,
)
from webhooks.services.endpoints import (
    endpoint_create,
    endpoint_delete,
    endpoint_disable,
    endpoint_secret_rotate,
    endpoint_send_test,
    endpoint_update,
)
from webhooks.services.events import event_record

__all__ = [
    "RETRY_SCHEDULE",
    "deliveries_resend",
    "deliveries_send",
    "delivery_resend",
    "delivery_send",
    "delivery_sweep",
    "endpoint_create",
    "endpoint_delete",
    "endpoint_disable",
    "endpoint_secret_rotate",
    "endpoint_send_test",
    "endpoint_update",
    "event_record",
]
