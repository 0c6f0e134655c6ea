# The moved TeamMembership keeps its content type (and so staff's permissions on it and the
# admin's history of its rows): the row is relabelled from oauth to sparkloop.

from django.db import migrations


def _relabel(apps, schema_editor, old, new):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    stale = ContentType.objects.filter(app_label=old, model='teammembership')
    if ContentType.objects.filter(app_label=new, model='teammembership').exists():
        return  # already created by a post_migrate since: keep it, leave the old one
    stale.update(app_label=new)


def forwards(apps, schema_editor):
    _relabel(apps, schema_editor, 'oauth', 'sparkloop')


def backwards(apps, schema_editor):
    _relabel(apps, schema_editor, 'sparkloop', 'oauth')


class Migration(migrations.Migration):

    dependencies = [
        ('sparkloop', '0002_teammembership_moved_from_oauth'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
