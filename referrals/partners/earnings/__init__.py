"""Partner referrals, settlement, the earnings ledger and payouts."""
