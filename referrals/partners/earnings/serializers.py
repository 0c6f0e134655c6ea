"""Partner earnings: the wire objects' renderers (the lists take no body)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from referrals.partners.earnings.payloads import publication_logo
from referrals.partners.models import PartnerReferral, Payout
from sparkloop.api.fields import TimestampField, cents_to_dollars, iso_z


class PartnerReferralOutputSerializer(serializers.ModelSerializer[PartnerReferral]):
    """Partner Program Referral Object (reference §11.7) plus `uuid` and
    `partner_campaign_uuid`; `cpa` in dollars."""

    uuid = serializers.CharField(source="public_id")
    partner_campaign_uuid = serializers.CharField(source="campaign.public_id")
    referral_status = serializers.CharField(source="status")
    cpa = serializers.SerializerMethodField()
    referred_at = TimestampField(source="created_at")
    confirmed_at = serializers.SerializerMethodField()
    rejected_at = serializers.SerializerMethodField()
    recommending_publication = serializers.SerializerMethodField()

    class Meta:
        model = PartnerReferral
        fields = [
            "uuid",
            "partner_campaign_uuid",
            "email",
            "referral_status",
            "rejection_reason",
            "payable",
            "country_code",
            "cpa",
            "utm_source",
            "utm_campaign",
            "referred_at",
            "confirmed_at",
            "rejected_at",
            "recommending_publication",
        ]

    def get_cpa(self, referral: PartnerReferral) -> float | None:
        return cents_to_dollars(referral.cpa_cents)

    def get_confirmed_at(self, referral: PartnerReferral) -> str | None:
        confirmed = referral.status == PartnerReferral.Status.CONFIRMED
        return iso_z(referral.settled_at) if confirmed else None

    def get_rejected_at(self, referral: PartnerReferral) -> str | None:
        rejected = referral.status == PartnerReferral.Status.REJECTED
        return iso_z(referral.settled_at) if rejected else None

    def get_recommending_publication(self, referral: PartnerReferral) -> dict[str, Any] | None:
        publication = referral.campaign.recommending_publication
        if publication is None:
            return None
        return {
            "uuid": publication.public_id,
            "name": publication.name,
            "logo": publication_logo(publication),
        }


class PayoutOutputSerializer(serializers.ModelSerializer[Payout]):
    """Payout object (partners.md): `amount` in cents, `amount_dollars`, dates, counts."""

    uuid = serializers.CharField(source="public_id")
    amount = serializers.IntegerField(source="amount_cents")
    amount_dollars = serializers.SerializerMethodField()
    referrals = serializers.IntegerField(source="referrals_count")
    created_at = TimestampField()
    paid_at = TimestampField()

    class Meta:
        model = Payout
        fields = [
            "uuid",
            "amount",
            "amount_dollars",
            "currency",
            "period_start",
            "period_end",
            "referrals",
            "status",
            "reference",
            "created_at",
            "paid_at",
        ]

    def get_amount_dollars(self, payout: Payout) -> float | None:
        return cents_to_dollars(payout.amount_cents)
