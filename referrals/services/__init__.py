"""Writes of referral campaigns: every state change in one transaction with its events."""

from __future__ import annotations

from referrals.services.attribution import (
    attribution_subscriber_created,
    attribution_subscriber_deleted,
    attribution_subscriber_rejected,
    referral_status_set,
    referrer_counts_adjust,
    subscriber_sync_record,
)
from referrals.services.campaigns import (
    CAMPAIGN_FIELDS,
    REWARD_FIELDS,
    blocklist_entry_create,
    blocklist_entry_delete,
    blocklist_entry_update,
    campaign_create,
    campaign_default,
    campaign_delete,
    campaign_update,
    reward_coupons_add,
    reward_create,
    reward_delete,
    reward_update,
    team_setup_referrals,
)
from referrals.services.memberships import (
    ALREADY_MEMBER,
    campaign_subscriber_create,
    membership_create,
    membership_delete,
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
)
from referrals.services.rewards import grant_approve, grant_redeem, grant_reject

__all__ = [
    "ALREADY_MEMBER",
    "CAMPAIGN_FIELDS",
    "REWARD_FIELDS",
    "attribution_subscriber_created",
    "attribution_subscriber_deleted",
    "attribution_subscriber_rejected",
    "blocklist_entry_create",
    "blocklist_entry_delete",
    "blocklist_entry_update",
    "campaign_create",
    "campaign_default",
    "campaign_delete",
    "campaign_subscriber_create",
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
    "referral_status_set",
    "referral_subscriber_confirmed",
    "referral_subscriber_created",
    "referral_subscriber_deleted",
    "referral_subscriber_rejected",
    "referrer_counts_adjust",
    "reward_coupons_add",
    "reward_create",
    "reward_delete",
    "reward_update",
    "subscriber_sync_record",
    "team_setup_referrals",
]
