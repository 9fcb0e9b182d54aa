"""A review page's video is answered by byte range, so the player can seek to a comment."""

import pytest
from django.urls import reverse

from tests.review.conftest import FIXTURES, make_take

pytestmark = pytest.mark.django_db


@pytest.fixture
def take(project, local_storage):
    return make_take(project, 1, files=True)


def test_the_whole_file_says_it_takes_ranges(alice_client, take):
    response = alice_client.get(reverse("review_file", args=[take.pk]))
    assert response.status_code == 200 and response["Accept-Ranges"] == "bytes"
    assert b"".join(response.streaming_content) == (FIXTURES / "one_second.mp4").read_bytes()


@pytest.mark.parametrize(
    ("asked", "first", "last"),
    [("bytes=0-9", 0, 9), ("bytes=100-", 100, None), ("bytes=-20", -20, None)],
)
def test_a_range_is_answered_206(rex_client, take, asked, first, last):
    data = (FIXTURES / "one_second.mp4").read_bytes()
    response = rex_client.get(reverse("review_file", args=[take.pk]), headers={"Range": asked})
    assert response.status_code == 206
    expected = data[first : last + 1] if last is not None else data[first:]
    assert response.content == expected
    start = first if first >= 0 else len(data) + first
    assert response["Content-Range"] == f"bytes {start}-{start + len(expected) - 1}/{len(data)}"


def test_a_range_past_the_end_is_416(alice_client, take):
    response = alice_client.get(
        reverse("review_file", args=[take.pk]), headers={"Range": "bytes=999999-"}
    )
    assert response.status_code == 416


def test_a_teammate_not_shared_with_gets_404(bob_client, take):
    assert bob_client.get(reverse("review_file", args=[take.pk])).status_code == 404
