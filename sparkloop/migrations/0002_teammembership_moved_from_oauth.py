# TeamMembership moved here from the oauth app: state only. The model keeps its table
# (db_table = oauth_teammembership), so no table is rebuilt and every row stays.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('sparkloop', '0001_initial'),
        ('oauth', '0002_teammembership_moved_to_sparkloop'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='TeamMembership',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('team', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='sparkloop.team')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='team_memberships', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'oauth_teammembership',
                        'constraints': [models.UniqueConstraint(fields=('user', 'team'), name='uniq_teammembership_user_team')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
