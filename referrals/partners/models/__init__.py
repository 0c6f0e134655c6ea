"""The partners app's models: the catalogue (catalog.py) and the money (earnings.py)."""

from __future__ import annotations

# Registers the models of models/upscribe.py and models/offers.py (import them from there).
from referrals.partners.models import offers as offers
from referrals.partners.models import upscribe as upscribe
from referrals.partners.models.catalog import (
    PartnerCampaign,
    PartnerProfile,
    PartnerProgram,
    Publication,
)
from referrals.partners.models.earnings import (
    CampaignBudgetMonth,
    EarningsEntry,
    PartnerReferral,
    Payout,
    ProgramBudgetMonth,
)

__all__ = [
    "CampaignBudgetMonth",
    "EarningsEntry",
    "PartnerCampaign",
    "PartnerProfile",
    "PartnerProgram",
    "PartnerReferral",
    "Payout",
    "ProgramBudgetMonth",
    "Publication",
]
