"""Writes of referral campaigns: every state change in one transaction with its events."""

from __future__ import annotations

from referrals.services.campaigns import (
    ALREADY_MEMBER,
    blocklist_entry_create,
    campaign_create,
    campaign_default,
    campaign_update,
    membership_create,
    membership_delete,
    reward_create,
    team_setup_referrals,
)
from referrals.services.referrals import (
    referral_approve,
    referral_holding_settle,
    referral_holding_sweep,
    referral_reject,
    referral_subscriber_confirmed,
    referral_subscriber_created,
    referral_subscriber_deleted,
    referral_subscriber_rejected,
    sync_subscriber_payload,
)
from referrals.services.rewards import grant_approve, grant_redeem, grant_reject

__all__ = [
    "ALREADY_MEMBER",
    "blocklist_entry_create",
    "campaign_create",
    "campaign_default",
    "campaign_update",
    "grant_approve",
    "grant_redeem",
    "grant_reject",
    "membership_create",
    "membership_delete",
    "referral_approve",
    "referral_holding_settle",
    "referral_holding_sweep",
    "referral_reject",
    "referral_subscriber_confirmed",
    "referral_subscriber_created",
    "referral_subscriber_deleted",
    "referral_subscriber_rejected",
    "reward_create",
    "sync_subscriber_payload",
    "team_setup_referrals",
]
