"""Every team has a partner profile: one for each team that existed before the app."""

from __future__ import annotations

import secrets

from django.db import migrations

BATCH = 2000


def forwards(apps, schema_editor):
    Team = apps.get_model("sparkloop", "Team")
    PartnerProfile = apps.get_model("partners", "PartnerProfile")
    batch = []
    for team in Team.objects.filter(partner_profile__isnull=True).only("pk", "name").iterator(BATCH):
        batch.append(
            PartnerProfile(team_id=team.pk, name=team.name, public_id="partner_" + secrets.token_hex(6))
        )
        if len(batch) >= BATCH:
            PartnerProfile.objects.bulk_create(batch)
            batch = []
    PartnerProfile.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("partners", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
