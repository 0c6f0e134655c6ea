"""The batch seam: every app that reacts to a single create reacts to a batch of them."""

from __future__ import annotations

import sys
import weakref

from django.dispatch import Signal

from subscribers.batch.signals import subscribers_created, subscribers_created_across
from subscribers.signals import subscriber_changed, subscriber_confirmed, subscriber_created


def _apps(signal: Signal) -> set[str]:
    """The top-level packages (and `referrals.partners`) of a signal's receivers."""
    found = set()
    for _key, ref, *_ in signal.receivers:
        func = ref() if isinstance(ref, weakref.ReferenceType) else ref
        module = getattr(func, "__module__", "") or ""
        parts = module.split(".")
        found.add(".".join(parts[:2]) if parts[:2] == ["referrals", "partners"] else parts[0])
    return found


def test_every_app_reacting_to_single_creates_reacts_to_batches() -> None:
    single = _apps(subscriber_created) | _apps(subscriber_confirmed) | _apps(subscriber_changed)

    assert single  # the referrals app's receivers are connected
    assert single <= _apps(subscribers_created), (
        "an app reacts to subscriber_created/confirmed/changed but not to subscribers_created "
        "(subscribers/batch/signals.py): batch items would skip it"
    )
    assert single <= _apps(subscribers_created_across), (
        "an app reacts to single creates but not to subscribers_created_across "
        "(subscribers/batch/signals.py): a cross-team batch would skip it"
    )
    assert "referrals" in sys.modules
