# TeamMembership moved to the sparkloop app (tenancy lives with Team): state only, the
# table oauth_teammembership and its rows stay exactly as they are.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('oauth', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='TeamMembership')],
            database_operations=[],
        ),
    ]
