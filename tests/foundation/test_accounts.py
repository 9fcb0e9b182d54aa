from django.urls import reverse

from tests.plugins.users import PASSWORD


def test_it_logs_in_with_the_right_password(client, bob):
    response = client.post(reverse("login"), {"username": "bob", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("project_list")
    assert "_auth_user_id" in client.session


def test_it_logs_out_on_post(bob_client):
    response = bob_client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in bob_client.session


def test_it_changes_the_password(bob_client, bob):
    response = bob_client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a much longer new secret",
            "new_password2": "a much longer new secret",
        },
    )
    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.check_password("a much longer new secret")


def test_it_keeps_the_password_when_the_old_one_is_wrong(bob_client, bob):
    response = bob_client.post(
        reverse("password_change"),
        {
            "old_password": "nope",
            "new_password1": "a much longer new secret",
            "new_password2": "a much longer new secret",
        },
    )
    assert response.status_code == 200
    assert b"Your old password was entered incorrectly" in response.content
    bob.refresh_from_db()
    assert bob.check_password(PASSWORD)


def test_it_sends_the_csrf_token_with_htmx_requests(bob_client):
    html = bob_client.get(reverse("project_list")).content.decode()
    assert 'hx-headers=\'{"x-csrftoken": "' in html
    # htmx is served from our own static files, never a CDN.
    assert '<script src="/static/django_htmx/htmx-2.min.js" defer></script>' in html
    assert "unpkg" not in html and "cdn" not in html.lower()
