# Per-shot resolution and options, and the shipped price version that prices every
# model and resolution Kinovi sells (the seed's version stays as it was: its rows priced
# what they priced).

import datetime as dt
from decimal import Decimal

import projects.models.project
from django.db import migrations, models

# pricing.SHIPPED_RATES as of this migration, frozen here.
SHIPPED_MODEL_RATES = {
    "seedance-20": {
        "per_second": {"1080p": "90", "480p": "15", "4k": "200", "720p": "40"},
        "upscale_4k_credits_per_second": "28",
        "with_reference_video": {"1080p": "108", "480p": "19", "4k": "240", "720p": "48"},
    },
    "seedance2-5": {
        "per_second": {"1080p": "143.4", "480p": "26", "720p": "59"},
        "upscale_4k_credits_per_second": None,
        "with_reference_video": {"1080p": "85.68", "480p": "16", "720p": "35"},
    },
    "seedance2-fast": {
        "per_second": {"480p": "14", "720p": "28"},
        "upscale_4k_credits_per_second": "28",
        "with_reference_video": {"480p": "18", "720p": "34"},
    },
    "seedance2.0-mini": {
        "per_second": {"480p": "7.5", "720p": "20"},
        "upscale_4k_credits_per_second": None,
        "with_reference_video": {"480p": "9.5", "720p": "24"},
    },
}
# Just after the seed's version (the epoch): it prices everything from the start of
# time on that no later version prices, so 2.5, Mini and 480p/1080p work at once.
EFFECTIVE_FROM = dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=dt.UTC)


def add_shipped_version(apps, schema_editor):
    PriceVersion = apps.get_model("projects", "PriceVersion")
    if not PriceVersion.objects.filter(effective_from=EFFECTIVE_FROM).exists():
        PriceVersion.objects.create(
            effective_from=EFFECTIVE_FROM,
            dollars_per_credit=Decimal("0.005"),
            model_rates=SHIPPED_MODEL_RATES,
            note="Kinovi's model pages: every resolution, the reference-video tier, "
            "Seedance 2.5 and 2.0 Mini.",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0012_merge_decimals_and_uploads"),
    ]

    operations = [
        migrations.AddField(
            model_name="generation",
            name="generate_audio",
            field=models.BooleanField(default=True),
        ),
        migrations.AddField(
            model_name="generation",
            name="high_bitrate",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="generation",
            name="resolution",
            field=models.CharField(default="720p", max_length=8),
        ),
        migrations.AddField(
            model_name="generation",
            name="seed_requested",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="project",
            name="default_resolution",
            field=models.CharField(
                default=projects.models.project.default_project_resolution,
                max_length=8,
                verbose_name="resolution",
            ),
        ),
        migrations.RunPython(add_shipped_version, migrations.RunPython.noop),
    ]
