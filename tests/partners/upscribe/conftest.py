"""The upscribe's world: alice's team shows other teams' publications through an upscribe;
charlie's team (other_team) must never see it."""

from __future__ import annotations

import pytest

from referrals.partners.models import Publication
from referrals.partners.models.upscribe import Upscribe
from referrals.partners.upscribe.services import upscribe_create
from sparkloop.models import Team
from tests.partners.factories import PublicationFactory


@pytest.fixture
def publication(team: Team) -> Publication:
    return PublicationFactory.create(team=team, name="Alice's News")


@pytest.fixture
def upscribe(team: Team, publication: Publication) -> Upscribe:
    return upscribe_create(team=team, publication=publication)
