"""The floor of bench/production_server.py: the app's own WSGI application, settings and
middleware, with one more URL, /floor/, a signed-in view answering "ok" to a GET or a
POST. What it costs under the same server and load is what any signed-in request costs
before the view does anything: the session, the user, the team, CSRF, the middleware and
the server itself.

Served by gunicorn with the production config:  gunicorn --config
kinovi_web/gunicorn.conf.py --pythonpath bench _floor:application
"""

from importlib import import_module

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_http_methods

from kinovi_web.wsgi import application  # noqa: F401 (sets Django up; what is served)

urls = import_module("kinovi_web.urls")  # once Django is set up: its views load models


@login_required
@require_http_methods(["GET", "POST"])
def floor(request):
    return HttpResponse("ok")


urlpatterns = [*urls.urlpatterns, path("floor/", floor)]
handler400, handler403 = urls.handler400, urls.handler403
handler404, handler500 = urls.handler404, urls.handler500

# Read by Django's handler at every request: this module's URLs, the app's and /floor/.
settings.ROOT_URLCONF = __name__
