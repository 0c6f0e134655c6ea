"""Every team has a default campaign, and every subscriber is a member of it."""

from __future__ import annotations

from django.db import migrations

BATCH = 2000


def forwards(apps, schema_editor):
    Team = apps.get_model("sparkloop", "Team")
    Campaign = apps.get_model("referrals", "Campaign")
    Subscriber = apps.get_model("subscribers", "Subscriber")
    Membership = apps.get_model("referrals", "CampaignMembership")
    import secrets

    for team in Team.objects.filter(campaigns__isnull=True).iterator():
        campaign = Campaign.objects.create(
            team=team, name=team.name, is_default=True, public_id="MF" + secrets.token_hex(5)
        )
        batch = []
        for sub in Subscriber.objects.filter(team=team).only("pk", "created_at").iterator(BATCH):
            batch.append(
                Membership(
                    team_id=team.pk,
                    campaign=campaign,
                    subscriber_id=sub.pk,
                    public_id="membership_" + secrets.token_hex(6),
                    subscriber_created_at=sub.created_at,
                )
            )
            if len(batch) >= BATCH:
                Membership.objects.bulk_create(batch)
                batch = []
        Membership.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_campaigns")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
