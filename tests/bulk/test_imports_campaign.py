"""`campaign_uuid` on imports: every row that names a subscriber joins the campaign, once."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from referrals.models import Campaign, CampaignMembership
from referrals.selectors import counter_name
from referrals.services import (
    campaign_create,
    campaign_delete,
    membership_create,
    memberships_join_many,
)
from sparkloop.counters import counter_get
from sparkloop.models import Team
from subscribers.models import Subscriber
from subscribers.services import subscriber_create
from subscribers.transfer.imports import subscriber_import_run, subscriber_import_sweep
from subscribers.transfer.models import SubscriberImport
from subscribers.transfer.tasks import subscriber_import_run_task
from tests.bulk.test_imports import run, upload
from tests.clients import KeyedClient

pytestmark = pytest.mark.django_db

CSV = (
    "email,name,ref_code,referrer_code,status\n"
    "ann@example.com,Ann,ann-code,,confirmed\n"  # new, plain
    "bob@example.com,Bob,,ann-code,\n"  # new, referred by an earlier row
    "old@example.com,Old again,,,confirmed\n"  # the team has it: skipped or updated
    "not-an-email,X,,,\n"  # failed: no subscriber, no membership
    "cid@example.com,,,,\n"  # new, plain
    "member@example.com,,,,\n"  # the team has it, already a member
)


@pytest.fixture
def campaign(team: Team) -> Campaign:
    return campaign_create(team=team, name="Spring")


def members(campaign: Campaign) -> list[str]:
    return sorted(
        CampaignMembership.objects.filter(campaign=campaign).values_list(
            "subscriber__email", flat=True
        )
    )


def total(campaign: Campaign, list_type: str = "all") -> int:
    return counter_get(team=campaign.team_id, name=counter_name(campaign.pk, list_type))


def existing(team: Team, campaign: Campaign) -> None:
    subscriber_create(team=team, email="old@example.com")
    member = subscriber_create(team=team, email="member@example.com")
    membership_create(campaign=campaign, subscriber=member, identifier=member.email)


@pytest.mark.parametrize("chunk_rows", [1000, 1], ids=["one-chunk", "a-chunk-a-row"])
@pytest.mark.parametrize("set_based", [True, False], ids=["set-based", "batch-path"])
@pytest.mark.parametrize("on_conflict", ["skip", "update"])
def test_every_row_that_names_a_subscriber_joins_the_campaign(
    api_client: KeyedClient,
    team: Team,
    campaign: Campaign,
    settings: Any,
    set_based: bool,
    on_conflict: str,
    chunk_rows: int,
) -> None:
    settings.IMPORT_SET_BASED = set_based
    settings.IMPORT_CHUNK_ROWS = chunk_rows
    existing(team, campaign)

    subscriber_import = run(
        api_client, CSV, campaign_uuid=campaign.public_id, on_conflict=on_conflict
    )

    assert subscriber_import.status == "completed"
    assert subscriber_import.campaign_uuid == campaign.public_id
    counts = (subscriber_import.created, subscriber_import.updated, subscriber_import.skipped)
    assert counts == ((3, 0, 2) if on_conflict == "skip" else (3, 1, 1))
    assert subscriber_import.failed == 1
    assert members(campaign) == [
        "ann@example.com",
        "bob@example.com",
        "cid@example.com",
        "member@example.com",
        "old@example.com",
    ]
    assert total(campaign) == 5
    # As row by row through the API: Ann joined before Bob's row, so Bob's referral is
    # recorded in her campaigns, this one too (whatever the chunks).
    assert (total(campaign, "referrals"), total(campaign, "advocates")) == (1, 1)
    ann = CampaignMembership.objects.get(campaign=campaign, subscriber__email="ann@example.com")
    bob = CampaignMembership.objects.get(campaign=campaign, subscriber__email="bob@example.com")
    assert (ann.referrals_count, bob.referred) == (1, True)
    # The default campaign is as it was without the option: the new subscribers joined it.
    default = Campaign.objects.get(team=team, is_default=True)
    assert CampaignMembership.objects.filter(campaign=default).count() == 5
    # The wire object is the contract's: no campaign in it.
    body = api_client.get(f"/v2/imports/{subscriber_import.public_id}").json()["import"]
    assert "campaign_uuid" not in body


def test_the_campaigns_counts_are_as_the_campaigns_api_makes_them(
    api_client: KeyedClient, team: Team, campaign: Campaign
) -> None:
    """A referrer already in the campaign: a referred row joins as referred, the referrer
    stays an advocate counted once; a subscriber who made referrals there before it was
    removed is recounted when it joins again, as `POST .../campaign_memberships` does."""
    ann = subscriber_create(team=team, email="ann@example.com")
    membership_create(campaign=campaign, subscriber=ann, identifier=ann.email)

    run(
        api_client,
        f"email,referrer_code\nbob@example.com,{ann.ref_code}\nann@example.com,\n",
        campaign_uuid=campaign.public_id,
    )

    assert members(campaign) == ["ann@example.com", "bob@example.com"]
    assert (total(campaign), total(campaign, "referrals"), total(campaign, "advocates")) == (
        2,
        1,
        1,
    )
    bob = CampaignMembership.objects.get(campaign=campaign, subscriber__email="bob@example.com")
    assert bob.referred

    # Ann leaves and is imported back: her referral there is counted again.
    CampaignMembership.objects.filter(campaign=campaign, subscriber=ann).delete()
    run(api_client, "email\nann@example.com\n", campaign_uuid=campaign.public_id)
    again = CampaignMembership.objects.get(campaign=campaign, subscriber=ann)
    assert again.referrals_count == 1


@pytest.mark.parametrize("set_based", [True, False], ids=["set-based", "batch-path"])
def test_a_killed_worker_resumes_without_adding_a_member_twice(
    api_client: KeyedClient, team: Team, campaign: Campaign, settings: Any, set_based: bool
) -> None:
    settings.IMPORT_CHUNK_ROWS = 2
    settings.IMPORT_SET_BASED = set_based
    lines = "".join(f"r{i}@example.com,R{i}\n" for i in range(7))
    response = upload(
        api_client, "email,name\n" + lines + "bad,\n", campaign_uuid=campaign.public_id
    )
    subscriber_import = SubscriberImport.objects.get(public_id=response.json()["import"]["uuid"])

    assert subscriber_import_run(import_id=subscriber_import.pk, max_chunks=2) == "again"
    SubscriberImport.objects.filter(pk=subscriber_import.pk).update(
        run_token="dead-worker", heartbeat_at="2000-01-01T00:00:00Z"
    )
    assert subscriber_import.pk in subscriber_import_sweep()
    subscriber_import_run_task(subscriber_import.pk)
    subscriber_import_run_task(subscriber_import.pk)  # a duplicate message: no effect

    subscriber_import.refresh_from_db()
    assert (subscriber_import.status, subscriber_import.created) == ("completed", 7)
    assert CampaignMembership.objects.filter(campaign=campaign).count() == 7
    assert total(campaign) == 7


def test_the_same_file_imported_twice_adds_nobody_twice(
    api_client: KeyedClient, campaign: Campaign
) -> None:
    run(api_client, "email\na@example.com\nb@example.com\n", campaign_uuid=campaign.public_id)
    again = run(
        api_client, "email\na@example.com\nb@example.com\n", campaign_uuid=campaign.public_id
    )

    assert again.skipped == 2
    assert members(campaign) == ["a@example.com", "b@example.com"]
    assert total(campaign) == 2


def test_an_unknown_campaign_is_not_found(api_client: KeyedClient) -> None:
    response = upload(api_client, "email\na@example.com\n", campaign_uuid="MF0000000000")

    assert response.status_code == 404
    assert response.json() == {"error": "Campaign MF0000000000 not found!"}
    assert not SubscriberImport.objects.exists()


def test_another_teams_campaign_is_not_found(api_client: KeyedClient, other_team: Team) -> None:
    theirs = campaign_create(team=other_team, name="Theirs")

    response = upload(api_client, "email\na@example.com\n", campaign_uuid=theirs.public_id)

    assert response.status_code == 404
    assert response.json() == {"error": f"Campaign {theirs.public_id} not found!"}
    assert not SubscriberImport.objects.exists()
    assert not CampaignMembership.objects.filter(campaign=theirs).exists()


def test_a_blank_campaign_uuid_is_no_campaign(api_client: KeyedClient, team: Team) -> None:
    subscriber_import = run(api_client, "email\na@example.com\n", campaign_uuid="")

    assert (subscriber_import.status, subscriber_import.campaign_uuid) == ("completed", "")
    assert CampaignMembership.objects.filter(team=team).count() == 1  # the default campaign


def test_a_campaign_deleted_during_the_import_fails_it(
    api_client: KeyedClient, team: Team, campaign: Campaign
) -> None:
    response = upload(api_client, "email\na@example.com\n", campaign_uuid=campaign.public_id)
    public_id = campaign.public_id
    campaign_delete(campaign=campaign)

    subscriber_import = SubscriberImport.objects.get(public_id=response.json()["import"]["uuid"])
    subscriber_import_run_task(subscriber_import.pk)
    subscriber_import.refresh_from_db()

    assert subscriber_import.status == "failed"
    assert subscriber_import.error == f"Campaign {public_id} not found!"
    assert not Subscriber.objects.filter(team=team).exists()  # its chunk rolled back


def test_the_command_takes_a_campaign(team: Team, campaign: Campaign, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("email\na@example.com\nb@example.com\n")
    stdout = io.StringIO()

    call_command(
        "import_subscribers",
        "--team",
        team.name,
        "--campaign",
        campaign.public_id,
        str(path),
        stdout=stdout,
    )

    assert "completed: 2 rows, 2 created" in stdout.getvalue()
    assert members(campaign) == ["a@example.com", "b@example.com"]


def test_the_command_refuses_an_unknown_campaign(team: Team, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("email\na@example.com\n")

    with pytest.raises(CommandError, match="Campaign MF0000000000 not found!"):
        call_command("import_subscribers", "--team", team.name, "--campaign", "MF0000000000", path)
    assert not SubscriberImport.objects.exists()


def test_the_admin_upload_takes_a_campaign(
    admin_client: Client, team: Team, other_team: Team, campaign: Campaign
) -> None:
    theirs = campaign_create(team=other_team, name="Theirs")
    form = {"team": team.pk, "on_conflict": "skip"}

    refused = admin_client.post(
        "/admin/subscribers/subscriber/import/",
        {
            **form,
            "file": SimpleUploadedFile("l.csv", b"email\na@x.com\n"),
            "campaign_uuid": theirs.public_id,
        },
    )
    assert refused.status_code == 200
    assert f"Campaign {theirs.public_id} not found!" in refused.content.decode()
    assert not SubscriberImport.objects.exists()

    response = admin_client.post(
        "/admin/subscribers/subscriber/import/",
        {
            **form,
            "file": SimpleUploadedFile("l.csv", b"email\na@x.com\n"),
            "campaign_uuid": campaign.public_id,
        },
    )
    assert response.status_code == 302
    subscriber_import_run_task(SubscriberImport.objects.get().pk)
    assert members(campaign) == ["a@x.com"]


def test_joining_many_takes_a_bounded_number_of_statements(
    team: Team, campaign: Campaign, django_assert_max_num_queries: Any
) -> None:
    ids = [subscriber_create(team=team, email=f"s{i}@example.com").pk for i in range(300)]
    member = Subscriber.objects.get(pk=ids[0])
    membership_create(campaign=campaign, subscriber=member, identifier=member.email)

    # At most 7 statements and the INSERT, which SQLite splits in a few (its bound on
    # variables a statement); the counters one each.
    with django_assert_max_num_queries(12):
        joined = memberships_join_many(campaign=campaign, subscriber_ids=ids + ids[:5])

    assert joined == 299
    assert total(campaign) == 300
