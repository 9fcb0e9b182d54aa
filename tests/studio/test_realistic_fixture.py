"""The realistic studio holds what the studio's pages are judged with."""

from django.core.management import call_command

from projects.models import Budget, Generation, LedgerEntry
from projects.models.credits import budget_statuses
from tests.fixtures.realistic import MIRA_FILES, seed_realistic_studio

S = Generation.Status


def test_it_seeds_every_state_long_names_and_a_nine_image_character(alice, team, local_storage):
    studio = seed_realistic_studio(team, alice)
    videos = studio.project.generations.all()
    assert videos.count() >= 25
    assert {v.status for v in videos} == {
        S.QUEUED,
        S.SUBMITTING,
        S.WAITING,
        S.GENERATING,
        S.SUCCESS,
        S.FAIL,
        S.UNKNOWN,
    }
    assert studio.video("archived").archived_at is not None
    assert studio.video("success").poster_file
    assert not studio.video("success_no_poster").poster_file
    retrying = Generation.objects.get(pk=studio.video("retry_5xx").pk)
    assert (retrying.status, retrying.attempts) == (S.QUEUED, 1)
    assert "429" in Generation.objects.get(pk=studio.video("retry_429").pk).status_detail
    names = [image.asset.original_filename for image in studio.mira.ordered_images]
    assert names == MIRA_FILES
    assert all(len(asset.name) >= 40 for asset in studio.assets)
    assert len(studio.project.name) >= 40


def test_its_members_sit_at_their_soft_and_hard_limits_after_a_month_of_spend(
    alice, team, local_storage
):
    studio = seed_realistic_studio(team, alice)
    (soft,) = budget_statuses(team, studio.soft_member)
    assert soft.soft_crossed and not soft.hard_reached
    (hard,) = budget_statuses(team, studio.hard_member)
    assert hard.hard_reached
    assert Budget.objects.filter(team=team).count() == 2
    days = {
        entry.accrued_at.date()
        for entry in LedgerEntry.objects.for_team(team).filter(kind=LedgerEntry.Kind.RESERVE)
    }
    assert len(days) >= 15
    spenders = LedgerEntry.objects.for_team(team).values("user").distinct().count()
    assert spenders >= 4


def test_the_command_seeds_a_team_of_its_own(db, local_storage, capsys):
    call_command("seed_realistic", team="northlight")
    assert "/projects/" in capsys.readouterr().out
