"""When references go to Kinovi through its uploads endpoint rather than by their own URL.

Kinovi fetches every reference by URL, from the internet. A URL on a loopback, private,
link-local or otherwise non-public address (or a name such as `localhost`) is one Kinovi
cannot fetch, unless Kinovi itself is on such an address too (the simulator on
127.0.0.1 fetches our 127.0.0.1 files). Such references are uploaded first
(`POST /uploads`, then the bytes PUT to the signed URL) and sent by the URL Kinovi
returns. Kinovi deletes uploads after 24 hours, so one older than REUSE_UPLOAD_FOR is
uploaded again rather than risked.
"""

import ipaddress
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

AUTO, ALWAYS, NEVER = "auto", "always", "never"
MODES = (AUTO, ALWAYS, NEVER)
# Kinovi keeps an upload 24 h; an hour's margin covers a queue wait and a slow render.
REUSE_UPLOAD_FOR = timedelta(hours=23)
# The inputs fields that hold reference URLs, in either request shape.
REFERENCE_FIELDS = ("urls", "imageUrls", "videoUrls", "audioUrls")
_LOCAL_NAMES = ("localhost", "localhost.localdomain")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")


def is_public(url: str) -> bool:
    """Whether the host of `url` can be reached from the internet, as far as its name says.

    IP literals are judged by their range; names only by the few that are local by
    definition (no DNS lookup: a start-up check must not depend on the network).
    """
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host not in _LOCAL_NAMES and not host.endswith(_LOCAL_SUFFIXES)
    return address.is_global


def kinovi_can_fetch(reference_url: str, kinovi_base_url: str) -> bool:
    """Whether Kinovi at `kinovi_base_url` can fetch `reference_url` itself.

    A Kinovi on a local address (the simulator) shares our network; a public Kinovi
    reaches public addresses only.
    """
    return is_public(reference_url) or not is_public(kinovi_base_url)


def uses_uploads(mode: str, reference_url: str, kinovi_base_url: str) -> bool:
    """Whether references are sent through Kinovi's uploads under `mode`."""
    if mode == ALWAYS:
        return True
    if mode == NEVER:
        return False
    return not kinovi_can_fetch(reference_url, kinovi_base_url)


def with_reference_urls(payload: dict[str, Any], replacements: Mapping[str, str]) -> dict[str, Any]:
    """A copy of a createTask body with each reference URL replaced where `replacements` says."""
    inputs = dict(payload.get("inputs") or {})
    for name in REFERENCE_FIELDS:
        if isinstance(inputs.get(name), list):
            inputs[name] = [replacements.get(url, url) for url in inputs[name]]
    return {**payload, "inputs": inputs}
