"""The catalogue's test world: alice's team (the `team` fixture) and charlie's team
(`other_team`), each with its partner profile, plus builders that go through the API."""

from __future__ import annotations

from typing import Any

from tests.clients import KeyedClient

PUBLICATION = {"name": "The Pour Over", "categories": ["politics", "lifestyle"]}
PROGRAM = {"cpa": 2.5, "max_payout": 500, "total_budget": 1000, "redirect_url": "https://x.io/"}


def make_publication(client: KeyedClient, **fields: Any) -> dict[str, Any]:
    response = client.post(
        "/v2/publications", {**PUBLICATION, "status": "active", **fields}, format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()["publication"]  # type: ignore[no-any-return]


def make_program(client: KeyedClient, **fields: Any) -> dict[str, Any]:
    """A publication of the client's team and its program, listed in the network."""
    publication = make_publication(client)
    body = {**PROGRAM, "publication_uuid": publication["uuid"], **fields}
    response = client.post("/v2/partner_programs", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["partner_program"]  # type: ignore[no-any-return]


def join(client: KeyedClient, program_uuid: str) -> Any:
    return client.post(
        f"/v2/partner_network/partner_programs/{program_uuid}/join",
        {"reason_for_recommending": "Our readers love coffee."},
        format="json",
    )
