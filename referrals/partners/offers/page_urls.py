"""The hosted pages' routes (at the site root, via partners/page_urls.py): /p/, /r/, /o/."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, re_path

from referrals.partners.offers import pages

urlpatterns: list[URLPattern | URLResolver] = [
    re_path(r"^p/(?P<ref_code>[0-9A-Za-z]{1,32})/?$", pages.partner_link, name="partner-link"),
    re_path(r"^r/(?P<ref_code>[0-9A-Za-z]{1,32})/?$", pages.signup, name="partner-signup"),
    re_path(r"^o/(?P<offer_uuid>[0-9A-Za-z_]{1,40})/?$", pages.offer_click, name="offer-click"),
]
