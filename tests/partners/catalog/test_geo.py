"""program_accepts_location: the geo rules of a partner program (pure, no query)."""

from __future__ import annotations

import pytest

from referrals.partners.catalog.selectors import program_accepts_location
from referrals.partners.models import PartnerProgram


def _program(**geo: object) -> PartnerProgram:
    return PartnerProgram(**geo)


def test_a_worldwide_program_accepts_any_country_and_an_unknown_one() -> None:
    program = _program(allow_worldwide_referrals=True)
    assert program_accepts_location(program, country_code="us")
    assert program_accepts_location(program, country_code=None)


def test_a_worldwide_program_refuses_its_blocked_countries_and_then_unknown_ones() -> None:
    program = _program(allow_worldwide_referrals=True, blocked_countries=["RU"])
    assert not program_accepts_location(program, country_code="ru")
    assert program_accepts_location(program, country_code="GB")
    assert not program_accepts_location(program, country_code=None)


def test_a_restricted_program_accepts_only_its_allowed_countries() -> None:
    program = _program(allow_worldwide_referrals=False, allowed_countries=["GB", "CA"])
    assert program_accepts_location(program, country_code="gb")
    assert not program_accepts_location(program, country_code="US")
    assert not program_accepts_location(program, country_code=None)


def test_a_restricted_program_with_only_a_block_list_accepts_the_others() -> None:
    program = _program(allow_worldwide_referrals=False, blocked_countries=["US"])
    assert not program_accepts_location(program, country_code="US")
    assert program_accepts_location(program, country_code="FR")


@pytest.mark.parametrize(("region", "accepted"), [("CA", True), ("ny", True), ("TX", False)])
def test_allowed_regions_narrow_the_allowed_countries(region: str, accepted: bool) -> None:
    program = _program(
        allow_worldwide_referrals=False, allowed_countries=["US"], allowed_regions=["CA", "NY"]
    )
    assert program_accepts_location(program, country_code="US", region_code=region) is accepted
    assert not program_accepts_location(program, country_code="US", region_code=None)
