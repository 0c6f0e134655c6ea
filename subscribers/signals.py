"""The seam through which the subscribers app announces what happened to a subscriber.

The subscribers app never imports the apps above it (referrals, partners). Each of its
services sends one of these signals *inside its own transaction*, after the subscriber row
is written (for `subscriber_deleted`: before the row is deleted), and the apps above react
with receivers connected in their `AppConfig.ready()`. A receiver that raises rolls the
whole change back, so a state change and its consequences commit together or not at all.
Receivers run in the order their apps are installed: `referrals` (which owns referral
attribution: `referral_status`, the referrers' counters, `sync_subscriber`) reacts before
`partners`.

Every signal is sent with `sender=Subscriber` and `subscriber=<the locked instance>`:
- `subscriber_created`: also `referrer` (the referring `Subscriber` of the team, or None;
  its row is locked by the create, and the instance is as locked);
- `subscriber_confirmed`: the status moved to `confirmed` (also when created confirmed);
- `subscriber_unsubscribed`: the status moved to `unsubscribed`;
- `subscriber_rejected`: a pending referral was rejected (`PUT .../reject`); the referrals
  app's receiver moves `referral_status` to `rejected` (so later receivers see it so);
- `subscriber_deleted`: the subscriber is about to be erased;
- `subscriber_changed`: sent last, once, by every service that created or changed a
  subscriber (create, update, unsubscribe, reject), after the signals above: its state is
  final for this change (the referrals app writes the `sync_subscriber` event from it).

An import that names a campaign (`campaign_uuid`) keeps only the campaign's public id; campaigns
are the referrals app's, so the import asks through two more signals (`sender=Subscriber`):
- `campaign_resolve`: `team=`, `identifier=` (as given); the owner of campaigns returns the
  campaign's public id, or raises NotFound(`Campaign <identifier> not found!`) for an unknown
  one or another team's. Sent when the import is created.
- `subscribers_campaign_add`: `team=`, `campaign=` (the public id), `subscriber_ids=` (the
  team's subscribers to add, a list of primary keys: the existing ones the chunk's rows
  named; the created ones join through `subscribers.batch.signals.subscribers_created`'s
  `campaign=`): sent inside an import chunk's transaction, after its rows; each becomes a
  member as the campaigns API adds one, and a subscriber already a member is left as it is
  (so a chunk done again after a killed worker adds nobody twice). A campaign deleted since
  raises NotFound: the chunk rolls back and the import fails with that sentence.
"""

from __future__ import annotations

from django.dispatch import Signal

subscriber_created = Signal()
subscriber_confirmed = Signal()
subscriber_unsubscribed = Signal()
subscriber_rejected = Signal()
subscriber_deleted = Signal()
subscriber_changed = Signal()
campaign_resolve = Signal()
subscribers_campaign_add = Signal()
