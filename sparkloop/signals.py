"""The seam through which the plumbing announces a new team to the apps above it.

`team_created` is sent inside `team_create`'s transaction with `sender=Team, team=<team>`;
the apps that give a team what it starts with (its default referral campaign, its partner
profile) connect receivers in their `AppConfig.ready()`. The plumbing never imports them.
"""

from __future__ import annotations

from django.dispatch import Signal

team_created = Signal()
