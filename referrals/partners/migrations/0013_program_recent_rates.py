# The programs' last-30-days counts (`last_30_days_confirmation_rate`), maintained with the
# 90-day rates by the hourly settlement job (earnings/rates.py `program_rates_refresh`) and
# read by generate and the recommendations instead of a scan of the referrals.

from datetime import timedelta

from django.apps.registry import Apps
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models import Count, Q
from django.utils import timezone

# As in earnings/rates.py when this was written (a migration keeps its own copy).
WINDOW = timedelta(days=30)


def fill(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """The counts as the first settlement run after the deploy would compute them, so that
    the recommendations do not show no rate until then."""
    PartnerProgram = apps.get_model("partners", "PartnerProgram")
    PartnerReferral = apps.get_model("partners", "PartnerReferral")
    rows = (
        PartnerReferral.objects.filter(
            program__isnull=False,
            status__in=["confirmed", "rejected"],
            settled_at__gte=timezone.now() - WINDOW,
        )
        .values("program_id")
        .annotate(settled=Count("id"), confirmed=Count("id", filter=Q(status="confirmed")))
    )
    for row in rows:
        PartnerProgram.objects.filter(pk=row["program_id"]).update(
            recent_settled_count=row["settled"], recent_confirmed_count=row["confirmed"]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0012_merge_rates_offers"),
    ]

    operations = [
        migrations.AddField(
            model_name="partnerprogram",
            name="recent_confirmed_count",
            field=models.PositiveIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name="partnerprogram",
            name="recent_settled_count",
            field=models.PositiveIntegerField(db_default=0, default=0),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
