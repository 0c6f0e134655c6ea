"""The seam through which a batch of creates is announced, once for the whole batch.

`subscribers_created` is sent inside the batch's transaction, after every row is written, with
`sender=Subscriber`, `team=`, `created=` (a list of `(subscriber, referrer or None)` in the
order of the request), `send_webhooks=` (False for an import that asked for no events) and
`campaign=` ("" or, for an import that names one, the public id of a campaign every created
subscriber also joins, each right after its own attribution, as if added through the API).
It stands for what `subscriber_created`, `subscriber_confirmed` (for those created confirmed)
and `subscriber_changed` say of one subscriber: an app that reacts to those must react to this
too (tests/subscribers/test_batch_signals.py holds every app to it), so that a batch item is
attributed and announced exactly as a single create is.
"""

from __future__ import annotations

from django.dispatch import Signal

subscribers_created = Signal()

subscribers_created_across = Signal()
"""Sent once by `subscribers_create_across`, inside its transaction after every row is
written, with `sender=Subscriber` and `created=` (the new subscribers of several teams, in
the order of the call, none referred by a subscriber of its team). It stands for
`subscribers_created` of each of those teams (webhooks sent, no campaign): an app that reacts
to one must react to the other (tests/bulk/test_batch_signals.py)."""
