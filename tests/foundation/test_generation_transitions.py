import pytest

from projects.models import Generation, Project
from projects.models.generation import InvalidTransition

S = Generation.Status


@pytest.fixture
def generation(team):
    project = Project.objects.create(team=team, name="Trailer")
    return Generation.objects.create(project=project, model="seedance-20", prompt="a shot")


def test_it_follows_the_life_of_a_generation(generation):
    for status in (S.QUEUED, S.SUBMITTING, S.WAITING, S.GENERATING, S.SUCCESS):
        assert generation.transition(status)
    generation.refresh_from_db()
    assert generation.status == S.SUCCESS
    assert generation.completed_at is not None


def test_it_refuses_a_transition_the_state_machine_forbids(generation):
    with pytest.raises(InvalidTransition):
        generation.transition(S.SUCCESS)
    generation.refresh_from_db()
    assert generation.status == S.DRAFT


def test_it_lets_only_one_of_two_racing_updates_win(generation):
    generation.transition(S.QUEUED)
    generation.transition(S.SUBMITTING)
    generation.transition(S.WAITING, task_id="task_1")
    webhook_copy = Generation.objects.get(pk=generation.pk)
    poller_copy = Generation.objects.get(pk=generation.pk)
    assert webhook_copy.transition(S.SUCCESS, credits_used=200)
    assert not poller_copy.transition(S.FAIL, error_code="500")
    generation.refresh_from_db()
    assert (generation.status, generation.credits_used, generation.error_code) == (
        S.SUCCESS,
        200,
        "",
    )
