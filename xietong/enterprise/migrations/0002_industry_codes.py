"""Load GB/T 4754-2017 (from the copy in enterprise/data/) and the enterprise labels."""

from django.db import migrations


def load(apps, schema_editor):
    from xietong.enterprise.reference import load_industry_codes, load_labels

    load_industry_codes(apps.get_model("enterprise", "IndustryCode"))
    load_labels(apps.get_model("enterprise", "Label"))


class Migration(migrations.Migration):
    dependencies = [("enterprise", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
