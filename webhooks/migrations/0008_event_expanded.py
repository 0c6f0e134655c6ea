"""Events are expanded into deliveries by a worker: `expanded_at`, set on every existing
event (their deliveries were made when they were recorded), and a partial index on the
unexpanded ones for the sweeper."""

from typing import Any

from django.db import migrations, models
from django.db.models import F


def mark_existing_expanded(apps: Any, schema_editor: Any) -> None:
    Event = apps.get_model("webhooks", "Event")
    Event.objects.using(schema_editor.connection.alias).filter(expanded_at__isnull=True).update(
        expanded_at=F("created_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0007_endpoint_campaign_uuid"),
    ]

    operations = [
        migrations.AddField(
            model_name="event",
            name="expanded_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(mark_existing_expanded, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(
                condition=models.Q(("expanded_at__isnull", True)),
                fields=["created_at"],
                name="event_unexpanded_idx",
            ),
        ),
    ]
