"""Log formatting: no line the app writes carries a callback token.

Kinovi's callback URL (`/hooks/kinovi/<token>/`) is a secret: whoever has it can
announce a task for that video. Request lines (runserver's, gunicorn's) and Django's
own request messages name the path, so every handler formats with `RedactingFormatter`,
which keeps the video's id and replaces the rest of the token.
"""

import logging
import re

WEBHOOK_PREFIX = "/hooks/kinovi/"
REDACTED = "[token]"
# The generation's id, then anything up to the end of the path.
_WEBHOOK_PATH = re.compile(re.escape(WEBHOOK_PREFIX) + r"(\d{0,18})[^\s\"'<>]*")


def redact(text: str) -> str:
    """`text` with every callback URL's token replaced."""
    return _WEBHOOK_PATH.sub(lambda m: f"{WEBHOOK_PREFIX}{m[1]}.{REDACTED}/", text)


class RedactingFormatter(logging.Formatter):
    """A Formatter whose output (message, arguments, traceback) holds no callback token."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
