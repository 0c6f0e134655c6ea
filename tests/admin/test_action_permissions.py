"""Every admin action of the site is refused to view-only staff and offered to permitted staff.

The actions are discovered from `admin.site`, not listed by hand: a new action (ours or a
library's) that declares no `permissions=` fails here.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_permission_codename
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import models
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from pytest_django.fixtures import Settings as SettingsWrapper

from referrals.partners.catalog.services import (
    partner_campaign_join,
    program_create,
    publication_create,
)
from referrals.partners.models import Payout
from referrals.partners.offers.services import offer_create, offer_submission_create
from referrals.partners.upscribe.services import recommendation_setting_update, upscribe_create
from referrals.services import blocklist_entry_create, campaign_create, membership_create
from sparkloop.models import Team, TeamMembership
from sparkloop.oauth.models import AccessToken, Application, Grant, RefreshToken
from sparkloop.oauth.services import application_create, connection_record
from sparkloop.services import api_key_create, team_create
from subscribers.models import Subscriber
from subscribers.services import subscriber_create, subscriber_event_create, subscriber_update
from tests.conftest import expand_events
from tests.partners.factories import PartnerCampaignFactory, PublicationFactory
from webhooks.models import Event
from webhooks.services import endpoint_create, event_record

pytestmark = pytest.mark.django_db


def _offered_to_anyone() -> list[tuple[str, str]]:
    """Every (model, action) of the site that some user can be offered (a superuser is)."""
    request = RequestFactory().get("/admin/")
    request.user = User(username="root", is_active=True, is_staff=True, is_superuser=True)
    return sorted(
        (model._meta.label, name)
        for model, model_admin in admin.site._registry.items()
        for name in model_admin.get_actions(request)
    )


ACTIONS = _offered_to_anyone()
IDS = [f"{label}:{action}" for label, action in ACTIONS]
# Bookkeeping that a request writes whatever it does: the login session and the admin's log.
NOT_STATE = (Session, LogEntry)


def registered(label: str) -> tuple[type[models.Model], admin.ModelAdmin[Any]]:
    model = apps.get_model(label)
    return model, admin.site._registry[model]


def admin_request(user: User) -> Any:
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def offered(user: User, label: str) -> set[str]:
    _, model_admin = registered(label)
    return set(model_admin.get_actions(admin_request(user)))


def staff(username: str, *permissions: Permission) -> User:
    user = User.objects.create_user(username=username, is_staff=True)
    user.user_permissions.add(*permissions)
    return User.objects.get(pk=user.pk)  # no cached permissions


def permission(model: type[models.Model], action: str) -> Permission:
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
    codename = get_permission_codename(action, model._meta)
    return Permission.objects.get(content_type=content_type, codename=codename)


def changelist_url(model: type[models.Model]) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def post_action(browser: Client, model: type[models.Model], action: str, pks: list[Any]) -> Any:
    """What the change list's action form posts (`post` skips a confirmation page)."""
    return browser.post(
        changelist_url(model),
        {"action": action, "_selected_action": pks, "index": 0, "post": "yes"},
    )


def state() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table (the world is small), to prove that nothing changed."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values())
        for model in apps.get_models()
        if not issubclass(model, NOT_STATE)
    }


@pytest.fixture
def world(team: Team, settings: SettingsWrapper) -> None:
    """At least one row on every admin page that offers an action, through the services."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    api_key_create(team=team, name="zapier")
    endpoint_create(team=team, url="http://127.0.0.1:9/hook", events={"new_referral": True})
    campaign = campaign_create(
        team=team,
        name="Spring",
        rewards=[{"name": "Sticker", "referrals": 1, "requires_approval": True}],
    )
    referrer = subscriber_create(team=team, email="johndoe@example.com")
    membership_create(campaign=campaign, subscriber=referrer, identifier=referrer.email)
    friend = subscriber_create(team=team, email="mary@example.com", referrer_code=referrer.ref_code)
    subscriber_update(subscriber=friend, status=Subscriber.Status.CONFIRMED)  # a reward grant
    # Flagged (the referrer's own address with a tag): the review queue has a row.
    subscriber_create(team=team, email="john.doe+1@example.com", referrer_code=referrer.ref_code)
    subscriber_event_create(subscriber=friend, value=Decimal("5"))
    blocklist_entry_create(team=team, kind="domain", pattern="spam.test")
    event_record(team=team, type=Event.Type.WEBHOOK_TEST, payload={})
    expand_events()
    # A payout (partners' earnings): a bare row, as the monthly job makes it.
    Payout.objects.create(
        partner_profile=team.partner_profile,
        amount_cents=5000,
        period_start=date(2026, 2, 1),
        period_end=date(2026, 2, 28),
    )
    # The partner catalogue: a publication, its program and a partner's join request.
    publication = publication_create(team=team, name="Weekly", categories=["tech"])
    program = program_create(
        team=team,
        publication_uuid=publication.public_id,
        cpa_cents=100,
        max_payout_cents=1000,
        total_budget_cents=5000,
        redirect_url="https://example.com/",
        requires_approval=True,
    )
    partner = team_create(name="a-partner")
    partner_campaign_join(
        profile=partner.partner_profile, program=program, reason_for_recommending="Fits."
    )

    upscribe = upscribe_create(team=team, publication=PublicationFactory.create(team=team))
    rec = PartnerCampaignFactory.create(team=team)
    recommendation_setting_update(upscribe=upscribe, campaign=rec, pinned=True)

    offer = offer_create(
        team=team,
        name="Course",
        redirect_url="https://example.com/",
        conversion_type="action",
        cpa_cents=100,
        monthly_budget_cents=1000,
    )
    offer_submission_create(offer=offer)

    app, _ = application_create(
        team=team,
        name="Partner",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )
    person = User.objects.create_user(username="alice")
    TeamMembership.objects.create(user=person, team=team)
    connection_record(team=team, application=app, scope="read:subscribers", consented=True)
    expires = timezone.now() + timedelta(hours=1)
    access = AccessToken.objects.create(
        team=team, application=app, token=secrets.token_urlsafe(), expires=expires
    )
    RefreshToken.objects.create(
        team=team, application=app, user=person, token=secrets.token_urlsafe(), access_token=access
    )
    Grant.objects.create(
        team=team,
        application=app,
        user=person,
        code=secrets.token_urlsafe(),
        expires=expires,
        redirect_uri="https://partner.example/callback",
    )
    Group.objects.create(name="support")
    every_hour = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.HOURS)
    PeriodicTask.objects.create(name="sweep", task="noop", interval=every_hour)
    ClockedSchedule.objects.create(clocked_time=expires)
    CrontabSchedule.objects.create()
    SolarSchedule.objects.create(event="sunrise", latitude=0, longitude=0)
    AccessAttempt.objects.create(
        username="mallory", ip_address="203.0.113.9", user_agent="curl", failures_since_start=3
    )
    AccessLog.objects.create(username="mallory", ip_address="203.0.113.9", user_agent="curl")
    AccessFailureLog.objects.create(
        username="mallory", ip_address="203.0.113.9", user_agent="curl", locked_out=False
    )


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser(username="root", email="root@example.com", password=None)


@pytest.fixture
def view_only(db: None) -> User:
    return staff("viewer", *Permission.objects.filter(codename__startswith="view_"))


def test_the_site_has_actions_to_walk() -> None:
    labels = {label for label, _ in ACTIONS}
    assert {"subscribers.Subscriber", "referrals.RewardGrant", "sparkloop.ApiKey"} <= labels
    assert ("django_celery_beat.PeriodicTask", "run_tasks") in ACTIONS


@pytest.mark.parametrize(("label", "action"), ACTIONS, ids=IDS)
def test_a_view_only_staff_user_is_refused_every_action(
    world: None, superuser: User, view_only: User, label: str, action: str
) -> None:
    model, model_admin = registered(label)
    selected = model_admin.get_queryset(admin_request(superuser)).values_list("pk", flat=True)
    assert selected, f"the world has no {label} to select: add one"
    browser = Client()
    browser.force_login(view_only)
    assert browser.get(changelist_url(model)).status_code == 200  # it may look
    before = state()

    response = post_action(browser, model, action, list(selected))

    assert response.status_code in (200, 302)
    assert action not in offered(view_only, label)
    assert state() == before


def test_the_same_request_from_permitted_staff_runs_the_action(world: None, team: Team) -> None:
    """The control of the refusals above: their request is one that does run an action."""
    permitted = staff("support", permission(Subscriber, "view"), permission(Subscriber, "change"))
    browser = Client()
    browser.force_login(permitted)
    selected = list(Subscriber.objects.filter(team=team).values_list("pk", flat=True))

    response = post_action(browser, Subscriber, "unsubscribe", selected)

    assert response.status_code == 302
    assert set(Subscriber.objects.filter(team=team).values_list("status", flat=True)) == {
        Subscriber.Status.UNSUBSCRIBED
    }


@pytest.mark.parametrize(("label", "action"), ACTIONS, ids=IDS)
def test_staff_holding_the_declared_permissions_are_offered_every_action(
    superuser: User, label: str, action: str
) -> None:
    model, model_admin = registered(label)
    entry = model_admin.get_actions(admin_request(superuser))[action]
    assert entry is not None
    func = entry[0]
    declared = getattr(func, "allowed_permissions", ())
    assert declared, f"{label}: the action {action} declares no permissions="
    user = staff("permitted", permission(model, "view"), *(permission(model, p) for p in declared))

    assert action in offered(user, label)
