"""Admin of the partner side: each subpackage registers its own pages."""

from __future__ import annotations

from referrals.partners.catalog import admin as catalog_admin  # noqa: F401
from referrals.partners.earnings import admin as earnings_admin  # noqa: F401
from referrals.partners.offers import admin as offers_admin  # noqa: F401
from referrals.partners.upscribe import admin as upscribe_admin  # noqa: F401
