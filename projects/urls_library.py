"""URLs of the reference library and characters."""

urlpatterns: list = []
