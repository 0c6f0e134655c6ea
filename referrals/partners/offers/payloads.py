"""The `new_offer_lead` webhook payload (reference §12.2; the full payload was never
published, so its shape follows the third-party summary: the offer, the lead, the partner)."""

from __future__ import annotations

from typing import Any

from referrals.partners.models.offers import OfferSubmission
from sparkloop.api.fields import cents_to_dollars


def offer_lead_payload(submission: OfferSubmission) -> dict[str, Any]:
    offer = submission.offer
    partner = submission.partner_profile
    converted = submission.converted_at or submission.created_at
    return {
        "offer_id": offer.public_id,
        "offer": {
            "id": offer.public_id,
            "name": offer.name,
            "conversion_type": offer.conversion_type,
        },
        "lead": {
            "id": submission.public_id,
            "email": submission.email,
            "source": "upscribe" if submission.upscribe_id else "offer_page",
            "partner_id": partner.public_id if partner is not None else None,
            "referral_status": "confirmed",
            "created_at": int(converted.timestamp()),
        },
        "partner": (
            {"id": partner.public_id, "name": partner.name, "logo": partner.logo_url or None}
            if partner is not None
            else None
        ),
        "cpa": cents_to_dollars(submission.cpa_cents),
        "payable": submission.payable,
    }
