import pytest

from projects.kinovi.client import TaskInfo, TaskStatus
from projects.models import Generation, Project
from projects.models.generation import InvalidTransition

S = Generation.Status


@pytest.fixture
def generation(team, bob):
    project = Project.objects.create(team=team, name="Trailer", owner=bob)
    return Generation.objects.create(
        project=project, created_by=bob, model="seedance-20", prompt="a shot"
    )


def _info(status, credits_used=None):
    return TaskInfo(task_id="task_1", model="seedance-20", status=status, credits_used=credits_used)


def test_it_follows_the_life_of_a_generation(generation):
    generation.submit()
    assert generation.start_dispatch()
    assert generation.accept("task_1")
    assert generation.apply(_info(TaskStatus.GENERATING))
    assert generation.apply(_info(TaskStatus.SUCCESS, credits_used=200))
    generation.refresh_from_db()
    assert generation.status == S.SUCCESS
    assert generation.completed_at is not None


def test_it_refuses_a_transition_the_state_machine_forbids(generation):
    with pytest.raises(InvalidTransition):
        generation.accept("task_1")
    generation.refresh_from_db()
    assert generation.status == S.DRAFT


def test_it_lets_only_one_of_two_racing_updates_win(generation):
    generation.submit()
    generation.start_dispatch()
    generation.accept("task_1")
    webhook_copy = Generation.objects.get(pk=generation.pk)
    poller_copy = Generation.objects.get(pk=generation.pk)
    assert webhook_copy.apply(_info(TaskStatus.SUCCESS, credits_used=200))
    assert not poller_copy.give_up("gave up")
    generation.refresh_from_db()
    assert (generation.status, generation.credits_used, generation.error_code) == (
        S.SUCCESS,
        200,
        "",
    )
