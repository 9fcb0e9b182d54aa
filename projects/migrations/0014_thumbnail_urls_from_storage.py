"""Thumbnails are shown from the storage's own URL (a path on local storage), not from
SITE_URL: rows stored with an absolute address keep working on another host or port."""

from django.core.files.storage import default_storage
from django.db import migrations, models


def thumbnail_urls_from_storage(apps, schema_editor):
    ReferenceAsset = apps.get_model("projects", "ReferenceAsset")
    assets = ReferenceAsset.objects.exclude(thumbnail="").only("pk", "thumbnail", "thumbnail_url")
    for asset in assets.iterator():
        url = default_storage.url(asset.thumbnail.name)
        if url != asset.thumbnail_url:
            ReferenceAsset.objects.filter(pk=asset.pk).update(thumbnail_url=url)


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0013_per_shot_resolution_and_options"),
    ]

    operations = [
        migrations.AlterField(
            model_name="referenceasset",
            name="thumbnail_url",
            field=models.CharField(
                blank=True,
                help_text="Where the app's pages show the thumbnail from.",
                max_length=2000,
            ),
        ),
        migrations.RunPython(thumbnail_urls_from_storage, migrations.RunPython.noop),
    ]
