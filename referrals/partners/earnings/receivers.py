"""Partner earnings: receivers of other rooms' signals (connected in PartnersConfig.ready()).

Each runs inside the subscriber service's transaction, the subscriber's row locked, after
the referrals app's receiver (which moved `referral_status` for a reject). An unsubscribe is
no signal here: settlement looks at the subscriber when the pending period is over (one who
came back by then is still subscribed).
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from referrals.partners.earnings.services import (
    SUBSCRIBER_ORIGIN,
    partner_referral_reject_for_subscriber,
)
from referrals.partners.models import PartnerReferral
from subscribers.models import Subscriber
from subscribers.signals import subscriber_deleted, subscriber_rejected


@receiver(subscriber_rejected, dispatch_uid="partners.earnings.subscriber_rejected")
def on_subscriber_rejected(
    sender: type[Subscriber], *, subscriber: Subscriber, **kwargs: Any
) -> None:
    # Only a subscriber that a partner referral created can have a pending one: the others'
    # rejects cost no statement here (the hot path's budget, tests/test_statement_counts.py).
    if subscriber.origin != SUBSCRIBER_ORIGIN:
        return
    partner_referral_reject_for_subscriber(
        subscriber=subscriber, reason=PartnerReferral.RejectionReason.REJECTED_BY_PUBLISHER
    )


@receiver(subscriber_deleted, dispatch_uid="partners.earnings.subscriber_deleted")
def on_subscriber_deleted(
    sender: type[Subscriber], *, subscriber: Subscriber, **kwargs: Any
) -> None:
    if subscriber.origin != SUBSCRIBER_ORIGIN:
        return
    partner_referral_reject_for_subscriber(
        subscriber=subscriber, reason=PartnerReferral.RejectionReason.DELETED
    )
