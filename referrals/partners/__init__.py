"""The partner side (app label `partners`): publications, partner programs, partner profiles
and campaigns, the partner network, partner referrals, earnings and payouts, upscribes and
offers. docs/partners.md says who owns which subpackage."""
