"""Operations: liveness and readiness for a balancer or a supervisor.

Neither needs a login nor names a secret: they say what works, not how it is set up.
"""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@require_safe
@never_cache
def healthz(request):
    """The process answers: nothing else is asked (a balancer's liveness probe)."""
    return JsonResponse({"status": "ok"})
