"""Two indexes fewer for every event written: the team's own index (event_team_created_idx
starts with the team) and, on PostgreSQL, the LIKE-pattern index that `unique=True` made
beside the public id's UNIQUE constraint. The constraint itself stays as it is (no rebuild of
a unique index on a large table): only the model's state calls it a Meta constraint now."""

import webhooks.models
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def drop_like_index(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite makes no such index
    schema_editor.execute("DROP INDEX IF EXISTS webhooks_event_public_id_b727ac7e_like")


def make_like_index(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS webhooks_event_public_id_b727ac7e_like "
        "ON webhooks_event (public_id varchar_pattern_ops)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("sparkloop", "0006_team_webhook_tokens_encrypted"),
        ("webhooks", "0008_event_expanded"),
    ]

    operations = [
        migrations.AlterField(
            model_name="event",
            name="team",
            field=models.ForeignKey(
                db_index=False,
                on_delete=models.deletion.CASCADE,
                related_name="events",
                to="sparkloop.team",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="event",
                    name="public_id",
                    field=models.CharField(
                        default=webhooks.models.new_event_id, max_length=40
                    ),
                ),
                migrations.AddConstraint(
                    model_name="event",
                    constraint=models.UniqueConstraint(
                        fields=("public_id",), name="webhooks_event_public_id_key"
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_like_index, make_like_index)],
        ),
    ]
