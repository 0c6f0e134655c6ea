"""Upscribes: input serializers (shape only) and the wire objects' renderers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

from referrals.partners.models import PartnerCampaign
from referrals.partners.models.offers import Offer
from referrals.partners.models.upscribe import Upscribe
from referrals.partners.offers.selectors import OfferRecommendation
from referrals.partners.upscribe.selectors import GENERATE_MAX, Recommendation, Stats
from sparkloop.exceptions import ServiceError

PARAMETERS_MISSING = "Parameters are missing."
SUBSCRIBER_MISSING = "Subscriber param is missing or empty."
RECOMMENDATIONS_MISSING = "Recommendations param is missing or empty."
PUBLICATION_UUID_BLANK = "Publication uuid can't be blank"
REASON_BLANK = "Reason can't be blank"
MAX_PICKS = 20
# A ref code (4-16 characters) or an offer's uuid (`offer_` + 12 hex); longer is cut.
REF_CODE_MAX = 40
TOO_MANY_PICKS = f"Recommendations: at most {MAX_PICKS} ref codes"
LIMIT_INVALID = f"Limit must be an integer between 1 and {GENERATE_MAX}"


class AfterSubmissionRuleSerializer(serializers.Serializer[Any]):
    behaviour = serializers.ChoiceField(choices=["redirect", "close_widget", "hide_widget"])
    current_url = serializers.CharField(max_length=1000)
    redirect_url = serializers.CharField(max_length=1000, allow_null=True, required=False)


class UpscribeUpdateInputSerializer(serializers.Serializer[Any]):
    active = serializers.BooleanField(required=False)
    after_submission_behaviour = serializers.ChoiceField(
        choices=Upscribe.Behaviour.choices, required=False
    )
    redirect_url = serializers.URLField(
        max_length=1000, allow_null=True, allow_blank=True, required=False
    )
    visibility_rules = serializers.ListField(
        child=serializers.CharField(max_length=1000), max_length=100, required=False
    )
    after_submission_rules = serializers.ListField(
        child=AfterSubmissionRuleSerializer(), max_length=100, required=False
    )
    auto_pilot = serializers.BooleanField(required=False)
    show_offers = serializers.BooleanField(required=False)

    def validate_redirect_url(self, value: str | None) -> str | None:
        return value or None


class UpscribeCreateInputSerializer(UpscribeUpdateInputSerializer):
    publication_uuid = serializers.CharField(
        max_length=64, error_messages={"required": PUBLICATION_UUID_BLANK}
    )

    def validate_publication_uuid(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(PUBLICATION_UUID_BLANK)
        return value.strip()


class RecommendationUpdateInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(
        max_length=2000,
        trim_whitespace=True,
        error_messages={"required": REASON_BLANK, "blank": REASON_BLANK, "null": REASON_BLANK},
    )


def _code(value: str | None) -> str | None:
    value = (value or "").strip()
    return value.upper() or None


class GenerateInputSerializer(serializers.Serializer[Any]):
    country_code = serializers.CharField(
        max_length=2, allow_null=True, allow_blank=True, required=False
    )
    region_code = serializers.CharField(
        max_length=16, allow_null=True, allow_blank=True, required=False
    )
    limit = serializers.IntegerField(
        required=False,
        default=1,
        min_value=1,
        error_messages={
            "invalid": LIMIT_INVALID,
            "min_value": LIMIT_INVALID,
            "max_string_length": LIMIT_INVALID,
        },
    )

    def validate_country_code(self, value: str | None) -> str | None:
        return _code(value)

    def validate_region_code(self, value: str | None) -> str | None:
        return _code(value)

    def validate_limit(self, value: int) -> int:
        return min(value, GENERATE_MAX)  # SparkLoop caps the count rather than refusing


class SubscribeInputSerializer(serializers.Serializer[Any]):
    """Both body forms (§7.1): `subscriber_email`, or the older `subscriber` (a uuid or an
    email of the team's subscriber), and `recommendations` as a comma-separated string of
    ref codes or a list of them."""

    subscriber_email = serializers.CharField(
        max_length=254, allow_null=True, allow_blank=True, required=False
    )
    subscriber = serializers.CharField(
        max_length=254, allow_null=True, allow_blank=True, required=False
    )
    subscriber_uuid = serializers.CharField(
        max_length=64, allow_null=True, allow_blank=True, required=False
    )
    recommendations = serializers.JSONField(required=False, allow_null=True)
    name = serializers.CharField(max_length=255, allow_null=True, allow_blank=True, required=False)
    country_code = serializers.CharField(
        max_length=2, allow_null=True, allow_blank=True, required=False
    )
    region_code = serializers.CharField(
        max_length=16, allow_null=True, allow_blank=True, required=False
    )
    utm_source = serializers.CharField(
        max_length=255, allow_null=True, allow_blank=True, required=False
    )
    utm_campaign = serializers.CharField(
        max_length=255, allow_null=True, allow_blank=True, required=False
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        who = (attrs.get("subscriber_email") or attrs.get("subscriber") or "").strip()
        who = who or (attrs.get("subscriber_uuid") or "").strip()
        codes = _ref_codes(attrs.get("recommendations"))
        # The reference's bodies are exactly {"error": "..."}: no per-field `errors`.
        if not who and codes is None:
            raise ServiceError(PARAMETERS_MISSING)
        if not who:
            raise ServiceError(SUBSCRIBER_MISSING)
        if not codes:
            raise ServiceError(RECOMMENDATIONS_MISSING)
        if len(codes) > MAX_PICKS:
            raise ServiceError(TOO_MANY_PICKS)
        return {
            "subscriber": who,
            "ref_codes": codes,
            "name": (attrs.get("name") or "").strip() or None,
            "country_code": _code(attrs.get("country_code")),
            "region_code": _code(attrs.get("region_code")),
            "utm_source": attrs.get("utm_source") or None,
            "utm_campaign": attrs.get("utm_campaign") or None,
        }


def _ref_codes(raw: object) -> list[str] | None:
    """The ref codes of `recommendations`: None when absent, [] when empty or malformed."""
    if raw is None:
        return None
    if isinstance(raw, str):
        items: list[object] = list(raw.split(","))
    elif isinstance(raw, list):
        items = raw
    else:
        return []
    return [
        str(i).strip()[:REF_CODE_MAX] for i in items if isinstance(i, str | int) and str(i).strip()
    ]


class UpscribeOutputSerializer(serializers.ModelSerializer[Upscribe]):
    """The Upscribe Object (reference §11.5), with our `publication_uuid`, `auto_pilot`,
    `show_offers` and `created_at`."""

    uuid = serializers.CharField(source="public_id")
    publication_uuid = serializers.CharField(source="publication.public_id")
    created_at = serializers.DateTimeField()

    class Meta:
        model = Upscribe
        fields = [
            "uuid",
            "active",
            "after_submission_behaviour",
            "redirect_url",
            "visibility_rules",
            "after_submission_rules",
            "auto_pilot",
            "show_offers",
            "publication_uuid",
            "created_at",
        ]


def _logo(campaign: PartnerCampaign) -> str | None:
    publication = campaign.publication
    if publication.logo:
        return str(publication.logo.url)
    return publication.logo_url or None


def net_of_fee(cents: int) -> int:
    fee = float(settings.PARTNER_PLATFORM_FEE_PERCENT)
    return int(cents * (100 - fee) // 100)


def recommendation_object(rec: Recommendation) -> dict[str, Any]:
    """The Recommendation Object (reference §11.6), money in cents."""
    c = rec.campaign
    program = c.program
    status = "paused" if rec.paused and c.status == c.Status.ACTIVE else c.status
    setting = rec.setting
    description = setting.reason if setting and setting.reason is not None else None
    return {
        "uuid": c.public_id,
        "type": "paid" if c.campaign_type == c.Type.PARTNER_PROGRAM else "free",
        "recommendation_type": "publication",
        "status": status,
        "ref_code": c.ref_code,
        "publication_uuid": c.publication.public_id,
        "publication_name": c.publication.name,
        "publication_logo": _logo(c),
        "description": description or c.reason_for_recommending or c.publication.description,
        "pinned": rec.pinned,
        "position": setting.position if setting else None,
        "cpa": program.cpa_cents if program else 0,
        "max_payout": program.max_payout_cents if program else 0,
        "last_30_days_confirmation_rate": rec.confirmation_rate,
        "signup_url": f"{settings.SITE_URL}/r/{c.ref_code}",
        "partner_program_uuid": program.public_id if program else None,
        "available_budget_dollars": (
            None if rec.available_budget_cents is None else rec.available_budget_cents / 100
        ),
        "referral_pending_duration": program.referral_pending_duration if program else None,
        "can_be_recommended_via": list(program.can_be_recommended_via) if program else [],
        "referrals": {
            "pending": c.pending_count,
            "rejected": c.rejected_count,
            "confirmed": c.confirmed_count,
        },
        "earnings": c.earnings_cents,
        "net_earnings": net_of_fee(c.earnings_cents),
    }


def offer_recommendation_object(
    rec: OfferRecommendation, counts: dict[str, int] | None = None
) -> dict[str, Any]:
    """Another team's offer as a Recommendation Object (docs/upscribe.md, offers): the
    publication fields a SparkLoop client reads, filled from the offer (`publication_name`
    its name, `publication_logo` its image), `type` and `recommendation_type` `offer`, the
    offer's own fields, money in cents. `signup_url` is the offer's click page naming the
    recommending team's partner profile; `counts`: what that partner sent converted. The
    offer's budget, spend and counters are the advertiser's: not shown."""
    o = rec.offer
    counts = counts or {}
    image = o.landscape_image_url or o.portrait_image_url or None
    earnings = counts.get("earnings", 0)
    return {
        "uuid": o.public_id,
        "type": "offer",
        "recommendation_type": "offer",
        "status": "active",
        "ref_code": o.public_id,
        "offer_uuid": o.public_id,
        "publication_uuid": None,
        "publication_name": o.name,
        "publication_logo": image,
        "name": o.name,
        "headline": o.headline,
        "description": o.description or o.headline,
        "callout": o.callout,
        "landscape_image_url": o.landscape_image_url or None,
        "portrait_image_url": o.portrait_image_url or None,
        "conversion_type": o.conversion_type,
        "pinned": False,
        "position": None,
        "cpa": o.cpa_cents,
        "max_payout": 0,
        "last_30_days_confirmation_rate": None,
        "signup_url": f"{settings.SITE_URL}/o/{o.public_id}?partner={rec.partner_id}",
        "partner_program_uuid": None,
        "available_budget_dollars": None,  # another team's money: never shown
        "referral_pending_duration": None,
        "can_be_recommended_via": ["upscribe"],
        "referrals": {
            "pending": 0,
            "rejected": counts.get("rejected", 0),
            "confirmed": counts.get("confirmed", 0),
        },
        "earnings": earnings,
        "net_earnings": net_of_fee(earnings),
    }


def stats_object(stats: Stats) -> dict[str, Any]:
    return {
        "impressions": stats.impressions,
        "picks": stats.picks,
        "pick_rate": round(stats.picks / stats.impressions, 4) if stats.impressions else None,
        "referrals": {
            "pending": stats.pending,
            "confirmed": stats.confirmed,
            "rejected": stats.rejected,
        },
        "earnings": stats.earnings_cents,
    }


def stats_add(*parts: Stats) -> Stats:
    """The sum of `parts` (an upscribe's totals with its offers' rows)."""
    return Stats(*(sum(getattr(s, f) for s in parts) for f in Stats.__dataclass_fields__))


def offer_stats_row(offer: Offer, stats: Stats) -> dict[str, Any]:
    """An offer's row of an upscribe's stats: the recommendation's labels (its uuid as
    `uuid` and `ref_code`, its name as `publication_name`), `recommendation_type` `offer`."""
    labels = {"uuid": offer.public_id, "ref_code": offer.public_id}
    return (
        labels
        | {"publication_name": offer.name, "recommendation_type": "offer"}
        | (stats_object(stats))
    )
