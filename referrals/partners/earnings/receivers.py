"""Partner earnings: receivers of other rooms' signals (connected in PartnersConfig.ready()).

Each runs inside the subscriber service's transaction, the subscriber's row locked, after
the referrals app's receiver (which moved `referral_status` for a reject). An unsubscribe is
no signal here: settlement looks at the subscriber when the pending period is over (one who
came back by then is still subscribed).
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from referrals.partners.earnings.services import partner_referral_reject_for_subscriber
from referrals.partners.models import PartnerReferral
from subscribers.models import Subscriber
from subscribers.signals import subscriber_deleted, subscriber_rejected


@receiver(subscriber_rejected, dispatch_uid="partners.earnings.subscriber_rejected")
def on_subscriber_rejected(
    sender: type[Subscriber], *, subscriber: Subscriber, **kwargs: Any
) -> None:
    partner_referral_reject_for_subscriber(
        subscriber=subscriber, reason=PartnerReferral.RejectionReason.REJECTED_BY_PUBLISHER
    )


@receiver(subscriber_deleted, dispatch_uid="partners.earnings.subscriber_deleted")
def on_subscriber_deleted(
    sender: type[Subscriber], *, subscriber: Subscriber, **kwargs: Any
) -> None:
    partner_referral_reject_for_subscriber(
        subscriber=subscriber, reason=PartnerReferral.RejectionReason.DELETED
    )
