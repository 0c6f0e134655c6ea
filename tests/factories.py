"""factory_boy factories, one per model."""

from __future__ import annotations

from typing import Any

import factory
from django.utils import timezone

from sparkloop.models import Team
from sparkloop.services import team_create
from subscribers.models import Subscriber


class TeamFactory(factory.django.DjangoModelFactory[Team]):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"team-{n}")

    @classmethod
    def _create(cls, model_class: type[Team], *args: Any, **kwargs: Any) -> Team:
        # Through the service, so a factory team starts like a real one.
        return team_create(**kwargs)


class SubscriberFactory(factory.django.DjangoModelFactory[Subscriber]):
    """A bare row. Tests of referral behaviour create through the services instead."""

    class Meta:
        model = Subscriber

    team = factory.SubFactory(TeamFactory)
    email = factory.Sequence(lambda n: f"reader{n}@example.com")
    email_normalized = factory.LazyAttribute(lambda o: o.email.lower())
    created_at = factory.LazyFunction(timezone.now)
