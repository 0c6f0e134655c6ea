"""/v2/publications: a team's own publications (partners.md, Publications)."""

from __future__ import annotations

import io
import os
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from referrals.partners.catalog.services import program_create
from referrals.partners.models import Publication
from sparkloop.models import Team
from tests.clients import KeyedClient
from tests.partners.catalog.conftest import PUBLICATION, make_publication

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.SITE_URL = "https://refs.example.com"


def image(fmt: str = "PNG", size: tuple[int, int] = (8, 8), name: str = "logo.png") -> Any:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue())


def test_create_answers_201_with_the_publication_object(api_client: KeyedClient) -> None:
    response = api_client.post(
        "/v2/publications",
        {
            **PUBLICATION,
            "description": "Politics without the noise",
            "list_id": "c34kko0",
            "publication_url": "https://www.thepourover.org/",
            "language": "English",
            "send_frequency": "1-2x per month",
            "audience_gender": "mixed",
            "income_levels": ["$50k - $75k"],
            "age_ranges": ["25 - 39", "40 - 59"],
            "auto_pilot": True,
            "logo_url": "https://cdn.example.com/pour.png",
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()["publication"]
    assert body["uuid"].startswith("pub_")
    assert len(body["uuid"]) == 16
    assert body["partner_categories"] == ["politics", "lifestyle"]
    assert body["status"] == "draft"
    assert body["logo_url"] == "https://cdn.example.com/pour.png"
    assert body["enabled_partner_program"] is False
    assert body["income_levels"] == ["$50k - $75k"]
    assert body["auto_pilot"] is True
    assert body["created_at"].endswith("Z")


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"categories": ["tech"]}, "Name can't be blank"),
        ({"name": ""}, "Name can't be blank"),
        ({"name": "X"}, "Categories can't be blank"),
        ({"name": "X", "categories": []}, "Categories can't be blank"),
        ({"name": "X", "categories": ["knitting"]}, "Categories is invalid"),
        ({"name": "X", "categories": "tech, news"}, "Categories is invalid"),
        (
            {"name": "X", "categories": ["tech", "news", "media", "science"]},
            "Categories is too long (maximum is 3)",
        ),
        ({**PUBLICATION, "audience_gender": "robots"}, "Audience gender is invalid"),
        ({**PUBLICATION, "income_levels": ["lots"]}, "Income levels is invalid"),
        ({**PUBLICATION, "age_ranges": [5]}, "Age ranges is invalid"),
        ({**PUBLICATION, "status": "draft"}, "Status is invalid"),
        ({**PUBLICATION, "auto_pilot": "maybe"}, "Auto pilot is invalid"),
        ({**PUBLICATION, "logo_url": "not a url"}, "Logo url is invalid"),
        (
            {**PUBLICATION, "logo": "https://x.io/a.png"},
            "Logo must be a PNG or JPEG image under 1 MB",
        ),
    ],
)
def test_create_refuses_bad_fields_in_rails_words(
    api_client: KeyedClient, body: dict[str, Any], error: str
) -> None:
    response = api_client.post("/v2/publications", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert not Publication.objects.exists()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_logo_upload_is_stored_through_the_storage_api(api_client: KeyedClient, fmt: str) -> None:
    response = api_client.post(
        "/v2/publications",
        {"name": "Pics", "categories": ["art & design"], "logo": image(fmt, name="whatever.bin")},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    publication = Publication.objects.get()
    assert default_storage.exists(str(publication.logo.name))
    suffix = ".png" if fmt == "PNG" else ".jpg"
    assert publication.logo.name == f"partners/logos/{publication.public_id}{suffix}"
    assert response.json()["publication"]["logo_url"] == (
        f"https://refs.example.com/media/{publication.logo.name}"
    )


def test_an_uploaded_logo_is_served_at_its_url(api_client: KeyedClient) -> None:
    response = api_client.post(
        "/v2/publications",
        {"name": "Pics", "categories": ["art & design"], "logo": image("PNG")},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    path = response.json()["publication"]["logo_url"].removeprefix("https://refs.example.com")

    served = api_client.get(path)

    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")  # type: ignore[attr-defined]
    # A path out of MEDIA_ROOT is refused (SuspiciousFileOperation: 400).
    assert api_client.get("/media/partners/logos/../../../etc/passwd").status_code == 400


def noise_png() -> Any:
    """A real PNG over 1 MB (noise does not compress)."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3)).save(buffer, format="PNG")
    assert buffer.tell() > 1024 * 1024
    return SimpleUploadedFile("logo.png", buffer.getvalue())


@pytest.mark.parametrize(
    "upload",
    [
        pytest.param(lambda: image("GIF", name="logo.png"), id="gif-named-png"),
        pytest.param(lambda: SimpleUploadedFile("logo.png", b"\x89PNG not really"), id="fake"),
        pytest.param(noise_png, id="over-1-MB"),
    ],
)
def test_a_logo_that_is_not_a_small_png_or_jpeg_is_refused(
    api_client: KeyedClient, upload: Any
) -> None:
    logo = upload()
    response = api_client.post(
        "/v2/publications", {"name": "P", "categories": ["tech"], "logo": logo}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "Logo must be a PNG or JPEG image under 1 MB"
    assert not Publication.objects.exists()


def test_a_multipart_body_takes_categories_as_repeated_keys(api_client: KeyedClient) -> None:
    response = api_client.post(
        "/v2/publications",
        {"name": "Form", "categories": ["tech", "news"]},
        format="multipart",
    )
    assert response.status_code == 201
    assert response.json()["publication"]["partner_categories"] == ["tech", "news"]


def test_list_is_newest_first_with_meta(api_client: KeyedClient, other_client: KeyedClient) -> None:
    first = make_publication(api_client, name="First")
    second = make_publication(api_client, name="Second")
    make_publication(other_client, name="Not mine")
    response = api_client.get("/v2/publications?per_page=1")
    assert response.status_code == 200
    body = response.json()
    assert [p["uuid"] for p in body["publications"]] == [second["uuid"]]
    assert body["meta"] == {"per_page": 1, "page": 1, "total_pages": 2, "total_publications": 2}
    page2 = api_client.get("/v2/publications?per_page=1&page=2").json()["publications"]
    assert [p["uuid"] for p in page2] == [first["uuid"]]


def test_get_answers_the_publication_or_the_not_found_sentence(api_client: KeyedClient) -> None:
    made = make_publication(api_client)
    response = api_client.get(f"/api/v2/publications/{made['uuid']}")
    assert response.status_code == 200
    assert response.json()["publication"] == made
    missing = api_client.get("/v2/publications/pub_4bc10562d97")
    assert missing.status_code == 404
    assert missing.json() == {"error": "Publication pub_4bc10562d97 not found!"}


def test_update_changes_only_the_given_fields(api_client: KeyedClient) -> None:
    made = make_publication(api_client, description="old")
    response = api_client.put(
        f"/v2/publications/{made['uuid']}",
        {"name": "Renamed", "categories": ["news"], "status": "archived"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()["publication"]
    assert (body["name"], body["partner_categories"], body["status"]) == (
        "Renamed",
        ["news"],
        "archived",
    )
    assert body["description"] == "old"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "You have to update at least 1 field."),
        ({"name": ""}, "Name can't be blank"),
        ({"categories": []}, "Categories can't be blank"),
        ({"categories": ["a", "b"]}, "Categories is invalid"),
    ],
)
def test_update_refuses_bad_fields(
    api_client: KeyedClient, body: dict[str, Any], error: str
) -> None:
    made = make_publication(api_client)
    response = api_client.put(f"/v2/publications/{made['uuid']}", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == error


def test_a_new_logo_file_replaces_the_old_one_in_storage(
    api_client: KeyedClient, django_capture_on_commit_callbacks: Any
) -> None:
    response = api_client.post(
        "/v2/publications",
        {"name": "P", "categories": ["tech"], "logo": image("PNG")},
        format="multipart",
    )
    uuid = response.json()["publication"]["uuid"]
    old = str(Publication.objects.get().logo.name)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.put(
            f"/v2/publications/{uuid}", {"logo": image("JPEG")}, format="multipart"
        )
    assert response.status_code == 200
    new = str(Publication.objects.get().logo.name)
    assert new.endswith(".jpg")
    assert default_storage.exists(new)
    assert not default_storage.exists(old)
    assert response.json()["publication"]["logo_url"].endswith(".jpg")
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.put(
            f"/v2/publications/{uuid}", {"logo_url": "https://cdn.example.com/l.png"}, format="json"
        )
    assert response.json()["publication"]["logo_url"] == "https://cdn.example.com/l.png"
    assert not default_storage.exists(new)


def test_delete_answers_the_deleted_publication(api_client: KeyedClient) -> None:
    made = make_publication(api_client)
    response = api_client.delete(f"/v2/publications/{made['uuid']}")
    assert response.status_code == 200
    assert response.json()["publication"]["uuid"] == made["uuid"]
    assert not Publication.objects.exists()


def test_delete_is_refused_while_the_program_is_active(api_client: KeyedClient, team: Team) -> None:
    made = make_publication(api_client)
    program = program_create(
        team=team,
        publication_uuid=made["uuid"],
        cpa_cents=100,
        max_payout_cents=1000,
        total_budget_cents=5000,
        redirect_url="https://x.io/",
    )
    response = api_client.delete(f"/v2/publications/{made['uuid']}")
    assert response.status_code == 400
    assert response.json() == {"error": "Publication has an active partner program"}
    assert api_client.get(f"/v2/publications/{made['uuid']}").json()["publication"][
        "enabled_partner_program"
    ]
    program.status = "paused"
    program.save()
    assert api_client.delete(f"/v2/publications/{made['uuid']}").status_code == 200
