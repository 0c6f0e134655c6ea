"""Offers (advertisers' click, lead and action offers, submissions, conversions) and the public
hosted pages of the partner side (`/p/<ref_code>`, `/r/<ref_code>`, `/o/<offer_uuid>`)."""
