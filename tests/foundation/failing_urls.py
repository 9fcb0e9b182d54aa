"""The site's URLs plus one view that crashes, to see the 500 page served."""

from django.urls import path

from kinovi_web import urls as site

handler500 = site.handler500


def crash(request):
    raise RuntimeError("a bug")


urlpatterns = [path("crash/", crash), *site.urlpatterns]
