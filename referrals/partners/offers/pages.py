"""The public hosted pages (no key): `/p/<ref_code>` (a partner link), `/r/<ref_code>` (a
recommendation's signup page) and `/o/<offer_uuid>` (an offer click).

Server-rendered, usable without JavaScript, CSRF-protected forms, rate limited per address
(RATE_LIMIT_PAGES, counted like the API's limits in the shared cache). They redirect only to
URLs stored by their owners (a program's, a campaign's or an offer's), never to one taken
from the request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

from csp.decorators import csp_update
from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from referrals.partners.models import PartnerCampaign
from referrals.partners.models.offers import Offer
from referrals.partners.offers import selectors, services
from sparkloop.api.throttling import client_ip, hit, parse_rate
from sparkloop.exceptions import ServiceError

logger = logging.getLogger(__name__)

REF_COOKIE = "sl_ref"
REF_COOKIE_MAX_AGE = 30 * 24 * 3600  # 30 days
EMAIL_INVALID = "Please enter a valid email address."
# Logos and offer images are the owners' URLs, on any https host.
IMAGES = csp_update({"img-src": ["https:"]})

View = Callable[..., HttpResponse]


class EmailForm(forms.Form):
    email = forms.EmailField(
        max_length=254, error_messages={"required": EMAIL_INVALID, "invalid": EMAIL_INVALID}
    )


def rate_limited(view: View) -> View:
    """Refuse an address over RATE_LIMIT_PAGES with a 429 page (a cache outage admits)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        rate = parse_rate(settings.RATE_LIMIT_PAGES, name="pages")
        try:
            status = hit(f"pages:ip:{client_ip(request)}", rate)
        except Exception:
            logger.exception("hosted page not counted: the cache is unavailable")
            return view(request, *args, **kwargs)
        if status.allowed:
            return view(request, *args, **kwargs)
        response = render(
            request,
            "partners/offers/rate_limited.html",
            {"retry_after": status.reset_in},
            status=429,
        )
        response["Retry-After"] = str(status.reset_in)
        return response

    return wrapped


def with_params(url: str, **params: str) -> str:
    """`url` with `params` appended to its query (replacing any of the same names), its
    other parameters and fragment kept."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    return urlunsplit(parts._replace(query=urlencode([*query, *params.items()])))


def _safe(url: str) -> str | None:
    # Stored URLs were validated on the way in; refuse anything but http(s) all the same.
    return url if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc else None


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "partners/offers/not_found.html", status=404)


def _channel_open(campaign: PartnerCampaign, channel: str) -> bool:
    program = campaign.program
    return program is None or channel in (program.can_be_recommended_via or [])


@require_GET
@rate_limited
def partner_link(request: HttpRequest, ref_code: str) -> HttpResponse:
    """`/p/<ref_code>`: count the click, remember the code for 30 days (first-party cookie),
    and go to the program's `redirect_url` (a free recommendation: the publication's URL)
    with `sl_ref=<ref_code>` added."""
    campaign = selectors.page_campaign_lookup(ref_code=ref_code)
    if campaign is None or not _channel_open(campaign, "partner_link"):
        return _not_found(request)
    target = (
        campaign.program.redirect_url if campaign.program else campaign.publication.publication_url
    )
    safe = _safe(target)
    if safe is None:
        return _not_found(request)
    services.partner_campaign_click_record(campaign=campaign)
    response = HttpResponseRedirect(with_params(safe, sl_ref=campaign.ref_code))
    response.set_cookie(
        REF_COOKIE,
        campaign.ref_code,
        max_age=REF_COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


def _logo(campaign: PartnerCampaign) -> str:
    publication = campaign.publication
    return publication.logo.url if publication.logo else publication.logo_url


@IMAGES
@require_http_methods(["GET", "POST"])
@rate_limited
def signup(request: HttpRequest, ref_code: str) -> HttpResponse:
    """`/r/<ref_code>`: the recommended publication's signup page (`?email=` prefills it).
    A valid email makes the partner referral (origin `magic_link`), then goes to the
    program's `thankyou_page_url`, or shows a thank-you page."""
    campaign = selectors.page_campaign_lookup(ref_code=ref_code)
    if campaign is None or not _channel_open(campaign, "magic_link"):
        return _not_found(request)
    context = {
        "publication": campaign.publication,
        "partner": campaign.partner_profile,
        "logo": _logo(campaign),
        "email": request.GET.get("email", "")[:254],
        "error": None,
    }
    if request.method == "POST":
        form = EmailForm(request.POST)
        if not form.is_valid():
            context |= {"email": request.POST.get("email", "")[:254], "error": EMAIL_INVALID}
            return render(request, "partners/offers/signup.html", context, status=400)
        try:
            services.hosted_signup(
                campaign=campaign,
                email=form.cleaned_data["email"],
                ip_address=client_ip(request) or None,
                utm_source=request.GET.get("utm_source"),
                utm_campaign=request.GET.get("utm_campaign"),
            )
        except ServiceError as refused:  # nothing was written: say why, on the page
            context |= {"email": form.cleaned_data["email"], "error": refused.message}
            return render(request, "partners/offers/signup.html", context, status=400)
        thankyou = _safe(campaign.program.thankyou_page_url) if campaign.program else None
        if thankyou:
            return HttpResponseRedirect(thankyou)
        return render(request, "partners/offers/thankyou.html", context)
    return render(request, "partners/offers/signup.html", context)


def _link_params(request: HttpRequest) -> tuple[str, str | None]:
    """The link's `partner` and `email`. A recommendation's `signup_url` already has
    `?partner=`; a client that adds `?email=` to it as to a publication's sends
    `partner=<uuid>?email=<email>`: both are taken from that."""
    partner = request.GET.get("partner", "")
    email = request.GET.get("email")
    if "?" in partner:
        partner, rest = partner.split("?", 1)
        email = email if email is not None else parse_qs(rest).get("email", [None])[0]
    return partner, email


@IMAGES
@require_http_methods(["GET", "POST"])
@rate_limited
def offer_click(request: HttpRequest, offer_uuid: str) -> HttpResponse:
    """`/o/<offer_uuid>`: a submission, then the offer's `redirect_url` with
    `?submission=<uuid>&offer=<uuid>`. A lead offer asks for the email first (unless
    `?email=` brings it); `?partner=<partner profile uuid>` names the sending partner."""
    offer = selectors.page_offer_lookup(uuid=offer_uuid)
    if offer is None or _safe(offer.redirect_url) is None:
        return _not_found(request)
    partner_id, link_email = _link_params(request)
    partner = selectors.page_partner_lookup(public_id=partner_id)
    email = ""
    if offer.conversion_type == Offer.ConversionType.LEAD:
        raw = request.POST.get("email") if request.method == "POST" else link_email
        form = EmailForm({"email": raw or ""})
        if not form.is_valid():
            context = {"offer": offer, "email": (raw or "")[:254], "error": None}
            status = 200
            if raw is not None:
                context["error"], status = EMAIL_INVALID, 400
            return render(request, "partners/offers/lead.html", context, status=status)
        email = form.cleaned_data["email"]
    submission = services.offer_submission_create(
        offer=offer, email=email, partner_profile=partner, ip_address=client_ip(request) or None
    )
    target = with_params(offer.redirect_url, submission=submission.public_id, offer=offer.public_id)
    return HttpResponseRedirect(target)
