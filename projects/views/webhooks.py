"""Kinovi's callback: POST /hooks/kinovi/<token>/ when a task ends.

Webhooks aren't signed, so one is only a hint: it records the task id (which rescues a
generation whose create answer was lost) and wakes the worker, which asks recordInfo
before believing anything. The token in the URL is the generation's secret; a wrong one
gets 404. Any answer but 200 would be logged with the URL, token included, so a body
we can't read from the right token still gets 200: it wakes the worker all the same.
"""

import logging

from django.http import Http404, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from projects.kinovi.client import InvalidWebhook, parse_webhook
from projects.models import Generation

log = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def kinovi_webhook(request, token: str):
    generation = Generation.objects.for_callback_token(token)
    if generation is None:
        raise Http404("No generation has this callback URL.")
    try:
        task_id = parse_webhook(request.body).task_id
    except InvalidWebhook as error:
        log.warning("unreadable webhook for %s: %s", generation, error)
        task_id = ""
    generation.record_webhook(task_id)
    return HttpResponse("ok", content_type="text/plain")
