# The programs' 90-day confirmation rates, maintained by the hourly settlement job
# (earnings/rates.py `program_rates_refresh`) and read by the upscribe ranking.

from datetime import timedelta

from django.apps.registry import Apps
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models import Count, Q
from django.utils import timezone

# As in earnings/selectors.py when this was written (a migration keeps its own copy).
WINDOW = timedelta(days=90)
MIN_SETTLED = 20
AT_ONCE = ("already_subscribed", "country_not_allowed", "budget_exhausted")


def fill(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """The rates as the first settlement run after the deploy would compute them, so that
    the ranking does not treat every program as unknown until then."""
    PartnerProgram = apps.get_model("partners", "PartnerProgram")
    PartnerReferral = apps.get_model("partners", "PartnerReferral")
    now = timezone.now()
    rows = (
        PartnerReferral.objects.filter(
            program__isnull=False,
            status__in=["confirmed", "rejected"],
            settled_at__gte=now - WINDOW,
        )
        .exclude(rejection_reason__in=AT_ONCE)
        .values("program_id")
        .annotate(settled=Count("id"), confirmed=Count("id", filter=Q(status="confirmed")))
    )
    for row in rows:
        settled, confirmed = row["settled"], row["confirmed"]
        PartnerProgram.objects.filter(pk=row["program_id"]).update(
            rate_settled_count=settled,
            rate_confirmed_count=confirmed,
            confirmation_rate=confirmed / settled if settled >= MIN_SETTLED else None,
            rates_computed_at=now,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0008_merge_earnings_upscribe"),
    ]

    operations = [
        migrations.AddField(
            model_name="partnerprogram",
            name="confirmation_rate",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="partnerprogram",
            name="rate_confirmed_count",
            field=models.PositiveIntegerField(default=0, db_default=0),
        ),
        migrations.AddField(
            model_name="partnerprogram",
            name="rate_settled_count",
            field=models.PositiveIntegerField(default=0, db_default=0),
        ),
        migrations.AddField(
            model_name="partnerprogram",
            name="rates_computed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
