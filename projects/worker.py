"""The worker's unit of work: claim one due row, handle it, give it back.

The queue is the Generation table; see GenerationQuerySet.claim_next.
"""

import logging
import os
import socket
from collections.abc import Callable

from projects.models import Generation

log = logging.getLogger(__name__)

# Handlers by status, filled by the modules that own each stage of a generation.
HANDLERS: dict[str, Callable[[Generation], None]] = {}


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def work_once(worker_id: str) -> bool:
    """Handle one due generation. Returns False when there was nothing to do."""
    generation = Generation.objects.claim_next(worker_id)
    if generation is None:
        return False
    handler = HANDLERS.get(generation.status)
    try:
        if handler is None:
            log.warning("no handler for %s in state %s", generation, generation.status)
            generation.release(retry_in=60)
        else:
            handler(generation)
    except Exception:
        log.exception("handling %s failed; retrying in 30 s", generation)
        generation.release(retry_in=30)
    return True
