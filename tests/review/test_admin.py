"""The review records in the Django admin: staff see them, in a constant number of
queries; the audit rows (verdicts, their history, comments, mail) can't be added or
edited there; a share can be stopped and a client link revoked, nothing more."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.models import (
    Comment,
    MailPreference,
    OutboxMail,
    ProjectShare,
    ReviewLink,
    Verdict,
    VerdictRecord,
    VideoDoneNotice,
)
from projects.models.outbox import queue_mail
from projects.models.review import Role, add_comment, client_decide, set_state, share
from tests.review.conftest import make_take

MODELS = [
    ProjectShare,
    Verdict,
    VerdictRecord,
    Comment,
    ReviewLink,
    OutboxMail,
    MailPreference,
    VideoDoneNotice,
]


@pytest.fixture
def staff_client(django_user_model):
    staff = django_user_model.objects.create_superuser("root", "root@example.com", "x")
    client = Client()
    client.force_login(staff)
    return client


def _url(model, view: str = "changelist", *args) -> str:
    return reverse(f"admin:projects_{model._meta.model_name}_{view}", args=args)


def _review_activity(project, alice, people, n: int):
    """n finished videos, each with a verdict, a comment, a client decision and a mail."""
    link, _ = ReviewLink.create(project, by=alice, whole_project=True, title=f"Cut {n}")
    for person in people:
        share(project, person, Role.REVIEWER)
        MailPreference.objects.update_or_create(user=person, defaults={"video_done": True})
    for number in range(n):
        take = make_take(project, 100 * n + number)
        for person in people:
            set_state(take, "selected", by=person)
            add_comment(take, f"note {number}", None, author=person)
        add_comment(take, "from the client", "1.5", link=link, name="Zoe")
        client_decide(take, link, "approved", "Zoe")
        VideoDoneNotice.objects.create(generation=take)
        queue_mail(f"Video {take.pk} is done", "done", [alice.email])


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_each_changelist_lists_its_rows_in_constant_queries(
    staff_client, project, alice, shared_viewer, rex, model
):
    def queries_for() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            response = staff_client.get(_url(model))
        assert response.status_code == 200
        return len(captured), model.objects.count()

    _review_activity(project, alice, [rex], 1)
    few, rows_few = queries_for()
    _review_activity(project, alice, [rex, shared_viewer], 4)
    many, rows_many = queries_for()
    assert rows_many > rows_few >= 1
    assert many == few, (
        f"{model.__name__}: {few} queries with {rows_few} rows, {many} with {rows_many}"
    )


@pytest.mark.parametrize(
    "model", [Verdict, VerdictRecord, Comment, OutboxMail, VideoDoneNotice, MailPreference]
)
def test_audit_rows_cannot_be_added_or_changed(staff_client, project, alice, rex, model):
    _review_activity(project, alice, [rex], 1)
    row = model.objects.first()
    assert staff_client.get(_url(model, "add")).status_code == 403
    page = staff_client.get(_url(model, "change", row.pk))
    assert page.status_code == 200
    html = page.content.decode()
    # Read-only: the page shows the row without a form field to change it nor a Save.
    assert 'name="_save"' not in html
    before = {field.name: getattr(row, field.attname) for field in model._meta.concrete_fields}
    staff_client.post(_url(model, "change", row.pk), {"state": "rejected", "body": "edited"})
    row.refresh_from_db()
    assert {field.name: getattr(row, field.attname) for field in model._meta.concrete_fields} == (
        before
    )


def test_a_verdicts_history_is_never_deleted_in_the_admin(staff_client, project, alice, rex):
    _review_activity(project, alice, [rex], 1)
    record = VerdictRecord.objects.first()
    assert staff_client.get(_url(VerdictRecord, "delete", record.pk)).status_code == 403
    staff_client.post(
        _url(VerdictRecord),
        {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"},
    )
    assert VerdictRecord.objects.filter(pk=record.pk).exists()


def test_staff_stop_a_share(staff_client, project, shared_viewer):
    shared = share(project, shared_viewer, Role.VIEWER)
    assert staff_client.get(_url(ProjectShare, "add")).status_code == 403
    response = staff_client.post(_url(ProjectShare, "delete", shared.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not ProjectShare.objects.exists()


def test_staff_revoke_a_client_link_but_never_see_its_secrets(staff_client, project, alice):
    live, _ = ReviewLink.create(project, by=alice, whole_project=True, title="For Zoe")
    other, _ = ReviewLink.create(project, by=alice, whole_project=True, password="open sesame")
    html = staff_client.get(_url(ReviewLink, "change", other.pk)).content.decode()
    for secret in (other.token_hash, other.media_key, other.password_hash):
        assert secret not in html
    response = staff_client.post(
        _url(ReviewLink),
        {"action": "revoke", "_selected_action": [live.pk]},
        follow=True,
    )
    messages = [str(message) for message in response.context["messages"]]
    assert messages == ["1 link(s) revoked."]
    live.refresh_from_db(), other.refresh_from_db()
    assert live.revoked_at is not None and not live.is_live
    assert other.revoked_at is None


def _rows(client, model, **query) -> int:
    """How many rows the changelist shows (each links to its change page)."""
    html = client.get(_url(model), query).content.decode()
    return len(re.findall(rf'href="/admin/projects/{model._meta.model_name}/\d+/change/', html))


def test_the_changelists_search_and_filter(staff_client, project, alice, rex):
    _review_activity(project, alice, [rex], 2)
    take = VerdictRecord.objects.filter(user=rex).first().generation
    assert _rows(staff_client, VerdictRecord) == 4
    assert _rows(staff_client, VerdictRecord, q=str(take.pk)) == 2
    assert _rows(staff_client, VerdictRecord, decision__exact="approved") == 2
    assert _rows(staff_client, Comment, q="from the client") == 2
    assert _rows(staff_client, Comment, q="rex") == 2
    assert _rows(staff_client, ProjectShare, role__exact="reviewer") == 1
    assert _rows(staff_client, ProjectShare, role__exact="viewer") == 0
    assert _rows(staff_client, OutboxMail, q=f"Video {take.pk} is done") == 1
