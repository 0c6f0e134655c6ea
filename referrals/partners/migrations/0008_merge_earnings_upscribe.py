from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0006_earnings_referrals_restrict"),
        ("partners", "0007_upscribe_network_indexes"),
    ]

    operations: list[migrations.operations.base.Operation] = []
