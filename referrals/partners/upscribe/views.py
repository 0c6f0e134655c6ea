"""Upscribes: the API views (thin: parse, call a service or selector, render)."""

from __future__ import annotations

from typing import Any

from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from referrals.partners.models.upscribe import Upscribe
from referrals.partners.offers.selectors import (
    OfferRecommendation,
    offer_recommendations_counts,
    upscribe_offer_stats,
)
from referrals.partners.upscribe import selectors, services
from referrals.partners.upscribe.selectors import Recommendation
from referrals.partners.upscribe.serializers import (
    GenerateInputSerializer,
    RecommendationUpdateInputSerializer,
    SubscribeInputSerializer,
    UpscribeCreateInputSerializer,
    UpscribeOutputSerializer,
    UpscribeUpdateInputSerializer,
    offer_recommendation_object,
    offer_stats_row,
    recommendation_object,
    stats_add,
    stats_object,
)
from sparkloop.api.pagination import paginate
from sparkloop.api.views import TeamViewSet


class UpscribeViewSet(TeamViewSet):
    scope_resource = "partners"

    def _body(self, upscribe: Upscribe) -> dict[str, object]:
        return {"upscribe": UpscribeOutputSerializer(upscribe).data}

    def list(self, request: Request) -> Response:
        upscribes = selectors.upscribe_list(team=self.team)
        return Response({"upscribes": UpscribeOutputSerializer(upscribes, many=True).data})

    def create(self, request: Request) -> Response:
        data = UpscribeCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        publication = selectors.upscribe_publication_get(
            team=self.team, identifier=fields.pop("publication_uuid")
        )
        upscribe = services.upscribe_create(team=self.team, publication=publication, **fields)
        return Response(self._body(upscribe), status=201)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self._body(selectors.upscribe_get(team=self.team, identifier=pk)))

    def update(self, request: Request, pk: str) -> Response:
        upscribe = selectors.upscribe_get(team=self.team, identifier=pk)
        data = UpscribeUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upscribe = services.upscribe_update(upscribe=upscribe, **data.validated_data)
        return Response(self._body(upscribe))

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk)

    @action(detail=True, methods=["get"])
    def stats(self, request: Request, pk: str) -> Response:
        upscribe = selectors.upscribe_get(team=self.team, identifier=pk)
        total, per = selectors.upscribe_stats(upscribe=upscribe)
        campaigns = selectors.stats_campaigns(upscribe=upscribe, campaign_ids=per)
        rows = [
            {"uuid": c.public_id, "ref_code": c.ref_code, "publication_name": c.publication.name}
            | stats_object(per[c.pk])
            for c in campaigns
        ]
        offers = upscribe_offer_stats(upscribe=upscribe)  # offers: its rows and totals
        total = stats_add(total, *(stats for _, stats in offers))
        rows += [offer_stats_row(offer, stats) for offer, stats in offers]
        body = {"upscribe_uuid": upscribe.public_id, "period_days": selectors.STATS_DAYS}
        return Response({"stats": body | stats_object(total) | {"recommendations": rows}})

    @action(detail=True, methods=["post"])
    def subscribe(self, request: Request, pk: str) -> Response:
        upscribe = selectors.upscribe_row_get(team=self.team, identifier=pk)
        data = SubscribeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        email, name = selectors.subscribe_person(
            team=self.team, identifier=fields.pop("subscriber")
        )
        outcomes = services.upscribe_subscribe(
            upscribe=upscribe, email=email, **(fields | {"name": fields["name"] or name})
        )
        referrals = [{"ref_code": o.ref_code, "status": o.status} for o in outcomes]
        return Response({"response": "ok", "referrals": referrals})


class RecommendationViewSet(TeamViewSet):
    scope_resource = "partners"

    def _render(self, recs: list[Recommendation]) -> list[dict[str, object]]:
        return [recommendation_object(rec) for rec in recs]

    def _render_shown(
        self, shown: list[Recommendation | OfferRecommendation]
    ) -> list[dict[str, object]]:
        """Generate's list: publications, and offers when the upscribe shows them."""
        offers = [r for r in shown if isinstance(r, OfferRecommendation)]
        counts = offer_recommendations_counts(offers)
        return [
            offer_recommendation_object(r, counts.get(r.offer.pk))
            if isinstance(r, OfferRecommendation)
            else recommendation_object(r)
            for r in shown
        ]

    def list(self, request: Request, upscribe_pk: str) -> Response:
        upscribe = selectors.upscribe_get(team=self.team, identifier=upscribe_pk)
        page = paginate(
            request,
            selectors.recommendation_list(upscribe=upscribe),
            total=lambda: selectors.recommendation_total(upscribe=upscribe),
        )
        recs = selectors.recommendations_render(upscribe=upscribe, campaigns=page.items)
        meta = page.meta("recommendations")
        # A client pages "until total_pages": an empty list still has its one page.
        meta["total_pages"] = max(1, meta["total_pages"])
        return Response({"recommendations": self._render(recs), "meta": meta})

    @action(detail=False, methods=["post"])
    def generate(self, request: Request, upscribe_pk: str) -> Response:
        upscribe = selectors.upscribe_row_get(team=self.team, identifier=upscribe_pk)
        data = GenerateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        shown = services.recommendations_generate(upscribe=upscribe, **data.validated_data)
        return Response({"recommendations": self._render_shown(shown)})

    def _set(self, upscribe_pk: str, pk: str, **change: Any) -> Response:
        upscribe = selectors.upscribe_get(team=self.team, identifier=upscribe_pk)
        campaign = selectors.recommendation_get(upscribe=upscribe, identifier=pk)
        services.recommendation_setting_update(upscribe=upscribe, campaign=campaign, **change)
        rec = selectors.recommendations_render(upscribe=upscribe, campaigns=[campaign])[0]
        return Response({"recommendation": recommendation_object(rec)})

    def update(self, request: Request, upscribe_pk: str, pk: str) -> Response:
        data = RecommendationUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._set(upscribe_pk, pk, reason=data.validated_data["reason"])

    @action(detail=True, methods=["put"])
    def pin(self, request: Request, upscribe_pk: str, pk: str) -> Response:
        return self._set(upscribe_pk, pk, pinned=True)

    @action(detail=True, methods=["put"])
    def unpin(self, request: Request, upscribe_pk: str, pk: str) -> Response:
        return self._set(upscribe_pk, pk, pinned=False)

    @action(detail=True, methods=["put"])
    def pause(self, request: Request, upscribe_pk: str, pk: str) -> Response:
        return self._set(upscribe_pk, pk, paused=True)

    @action(detail=True, methods=["put"])
    def unpause(self, request: Request, upscribe_pk: str, pk: str) -> Response:
        return self._set(upscribe_pk, pk, paused=False)
