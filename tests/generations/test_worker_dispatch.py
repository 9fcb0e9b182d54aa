from django.core.files.storage import default_storage
from PIL import Image

from projects.models import Generation, LedgerEntry
from tests.generations.lifecycle_fixtures import *  # noqa: F403 (fixtures)
from tests.generations.lifecycle_fixtures import S, run_worker


def test_it_takes_a_generation_from_queued_to_an_archived_success(kinovi, make_generation):
    generation = make_generation(kinovi.image_url)
    generation.submit()
    run_worker(lambda: Generation.objects.get(pk=generation.pk).is_finished)
    generation.refresh_from_db()
    assert generation.status == S.SUCCESS, generation.error_message
    assert generation.task_id.startswith("task_")
    assert generation.output_url.startswith(kinovi.root_url)
    assert (generation.output_width, generation.output_height) == (320, 180)
    assert generation.credits_used == 200
    for stored in (generation.output_file, generation.poster_file, generation.last_frame_file):
        assert stored.name and default_storage.exists(stored.name)
    with default_storage.open(generation.last_frame_file.name) as frame:
        assert Image.open(frame).size == (320, 180)
    entries = LedgerEntry.objects.filter(generation=generation)
    assert sorted(entries.values_list("kind", flat=True)) == ["reserve", "settle"]
    assert entries.total_credits() == 200
