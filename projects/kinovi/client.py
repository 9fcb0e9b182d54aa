"""The HTTP client for Kinovi's jobs API, its typed answers and its typed errors.

Every failure is a `KinoviError` whose `retryable` says whether calling again is safe.
The important distinction is for createTask: `RequestNotSent` means Kinovi never saw the
request (retry freely), `AnswerLost` means it was sent and no answer came back, so the
task may exist: look for it before creating another one.

The API key is kept out of reprs, exception messages and logs; should Kinovi echo it in
an error message, it is blanked out there too (before the message is shortened). A
`KinoviError` never chains the httpx exception behind it (`__cause__` and `__context__`
stay None), since httpx's exceptions hold the request and with it the Authorization
header.
"""

import io
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import httpx

from projects.kinovi.pricing import CREDIT_SCALE

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
_MESSAGE_MAX_CHARACTERS = 300
_DOWNLOAD_CHUNK_BYTES = 256 * 1024


class TaskStatus(StrEnum):
    WAITING = "waiting"
    GENERATING = "generating"
    SUCCESS = "success"
    FAIL = "fail"


@dataclass(frozen=True)
class VideoOutput:
    url: str
    width: int | None
    height: int | None


@dataclass(frozen=True)
class TaskInfo:
    task_id: str
    model: str
    status: TaskStatus
    credits_used: Decimal | None
    outputs: list[VideoOutput] = field(default_factory=list)
    error_code: str = ""
    error_message: str = ""
    create_time: datetime | None = None
    complete_time: datetime | None = None
    seed: int | None = None
    last_frame_url: str = ""  # Kinovi's `lastFrameImage`, when it sends one
    duration: int | None = None  # seconds, when the record says (top level or `inputs`)

    @property
    def is_finished(self) -> bool:
        return self.status in (TaskStatus.SUCCESS, TaskStatus.FAIL)


class KinoviError(Exception):
    """Base of every failure talking to Kinovi."""

    retryable = False
    status_code: int | None = None

    def __init__(self, message: str, *, retryable: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        if retryable is not None:
            self.retryable = retryable


class RequestNotSent(KinoviError):
    """The request never reached Kinovi (connection refused, connect timeout)."""

    retryable = True


class AnswerLost(KinoviError):
    """The request was sent but no usable answer came back; Kinovi may have acted on it.

    Not retryable for createTask (a retry could create a second task); the client marks
    it retryable for reads, which are safe to repeat.
    """


class InvalidRequest(KinoviError):
    """Kinovi refused the request (nothing charged). `errors` are Kinovi's `errors`
    as (path, message) pairs, e.g. ("inputs.duration", ...); the message ends with
    theirs."""

    status_code = 400

    def __init__(self, message: str, *, errors: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


class AuthenticationFailed(KinoviError):
    status_code = 401


class InsufficientCredits(KinoviError):
    status_code = 402

    def __init__(
        self, message: str, *, required: Decimal | None, available: Decimal | None
    ) -> None:
        super().__init__(message)
        self.required = required
        self.available = available


class AccessNotEnabled(KinoviError):
    status_code = 403


class TaskNotFound(KinoviError):
    status_code = 404


class ConcurrencyLimit(KinoviError):
    status_code = 429
    retryable = True

    def __init__(self, message: str, *, limit: int | None, current: int | None) -> None:
        super().__init__(message)
        self.limit = limit
        self.current = current


class ServerError(KinoviError):
    retryable = True

    def __init__(self, message: str, *, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class UnexpectedAnswer(KinoviError):
    """An answer this client doesn't understand (status code or body)."""


class MalformedTaskInfo(ValueError):
    """A task description (recordInfo answer or webhook) without the expected fields."""


class InvalidWebhook(MalformedTaskInfo):
    """A webhook body that isn't Kinovi's envelope around a task."""


class DownloadFailed(KinoviError):
    """A result file (video, last frame) couldn't be fetched; trying again may work."""

    retryable = True


class UploadFailed(KinoviError):
    """A reference's bytes didn't reach Kinovi's upload storage; trying again may work."""

    retryable = True


class DownloadRefused(DownloadFailed):
    """A result file we won't fetch (too large, not a web link); trying again won't help."""

    retryable = False


_ERRORS_BY_STATUS: dict[int, type[KinoviError]] = {
    400: InvalidRequest,
    401: AuthenticationFailed,
    403: AccessNotEnabled,
    404: TaskNotFound,
}
# Failures before a byte of the request left: connecting, or a request httpx/h11 refuse
# to send (LocalProtocolError, e.g. an invalid header value; InvalidURL). Any other
# httpx.HTTPError may come after the request was sent (timeouts reading, dropped
# connections, an undecodable body), so Kinovi may have acted on it.
# Gateway answers that say nothing about whether Kinovi itself received the request.
_GATEWAY_LOST = frozenset({502, 504})
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
    httpx.InvalidURL,
)


class KinoviClient:
    """One connection pool to Kinovi; use as a context manager or call `close()`."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        api_key = api_key.strip()
        if not _is_header_safe(api_key):
            # Never name the key: this message may end up in logs.
            raise ValueError(
                "The Kinovi API key contains whitespace, control or non-ASCII characters; "
                "check how it is configured."
            )
        self._api_key = api_key
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
        )
        # Result files, on whatever host Kinovi's storage serves them from: no API key.
        self._files = httpx.Client(follow_redirects=True, max_redirects=5, transport=transport)

    def __repr__(self) -> str:
        return f"KinoviClient(base_url={self.base_url!r})"

    def __enter__(self) -> "KinoviClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()
        self._files.close()

    def create_task(self, payload: dict[str, Any]) -> str:
        """Ask Kinovi for a video; returns the task id."""
        response = self._send("POST", "/jobs/createTask", idempotent=False, json=payload)
        task_id = self._json(response, idempotent=False).get("taskId")
        if not isinstance(task_id, str) or not task_id:
            raise AnswerLost("Kinovi accepted createTask but its answer has no taskId.")
        logger.info("Kinovi created task %s", task_id)
        return task_id

    def record_info(self, task_id: str) -> TaskInfo:
        response = self._send(
            "GET", "/jobs/recordInfo", idempotent=True, params={"taskId": task_id}
        )
        try:
            return parse_task_info(self._json(response, idempotent=True))
        except MalformedTaskInfo as error:
            message = f"Kinovi's recordInfo answer is unusable: {error}"
            raise UnexpectedAnswer(message, retryable=True) from error

    def reachable(self, timeout: float = 2.0) -> bool:
        """Whether Kinovi's API answers at all (a readiness probe): any answer below 500.

        Asks about a task that doesn't exist: it starts nothing and costs nothing.
        """
        try:
            response = self._http.get(
                "/jobs/recordInfo", params={"taskId": "readiness-probe"}, timeout=timeout
            )
        except httpx.HTTPError:
            return False
        return response.status_code < 500

    def download(self, url: str, file: BinaryIO, *, max_bytes: int, timeout: float) -> int:
        """Stream the file at `url` (a result Kinovi links to) into `file`; bytes written.

        Results live on Kinovi's storage, not its API: the request carries no API key.
        At most `max_bytes` are read and the whole transfer gets `timeout` seconds;
        raises DownloadRefused or DownloadFailed (`file` then holds a partial copy).
        """
        if urlsplit(url).scheme not in ("https", "http"):
            raise DownloadRefused(f"Kinovi's result link isn't a web address: {url[:100]!r}.")
        deadline = time.monotonic() + timeout
        failure: KinoviError | None = None
        written = 0
        try:
            with self._files.stream("GET", url, timeout=min(timeout, 30.0)) as response:
                if response.status_code != 200:
                    raise DownloadFailed(f"Kinovi's result answered HTTP {response.status_code}.")
                declared = _int_or_none(response.headers.get("content-length"))
                if declared is not None and declared > max_bytes:
                    raise _too_large(max_bytes)
                for chunk in response.iter_bytes(_DOWNLOAD_CHUNK_BYTES):
                    written += len(chunk)
                    if written > max_bytes:
                        raise _too_large(max_bytes)
                    if time.monotonic() > deadline:
                        raise DownloadFailed(f"Kinovi's result took over {timeout:g} s to fetch.")
                    file.write(chunk)
        except httpx.HTTPError as error:
            failure = DownloadFailed(f"Could not fetch Kinovi's result: {type(error).__name__}.")
        except httpx.InvalidURL:
            failure = DownloadRefused(f"Kinovi's result link is invalid: {url[:100]!r}.")
        if failure is not None:
            raise failure
        return written

    def upload(
        self, file: BinaryIO, file_name: str, *, content_type: str = "", timeout: float = 300.0
    ) -> str:
        """Put `file` where Kinovi can fetch it (`POST /uploads`, then a PUT); its URL.

        The file is streamed from where it stands to its end, in chunks. The PUT goes
        to the signed URL Kinovi returns and carries no API key. Kinovi deletes the
        upload after 24 hours. Raises KinoviError subclasses (UploadFailed for the PUT).
        """
        body = {"fileName": file_name} | ({"contentType": content_type} if content_type else {})
        response = self._send("POST", "/uploads", idempotent=True, json=body)
        answer = self._json(response, idempotent=True)
        upload_url, url = _url_field(answer, "uploadUrl"), _url_field(answer, "url")
        if upload_url is None or url is None:
            message = "Kinovi's uploads answer has no uploadUrl or url."
            raise UnexpectedAnswer(message, retryable=True)
        content_type = content_type or str(answer.get("contentType") or "")
        headers = {"Content-Length": str(_remaining_bytes(file))}
        if content_type:
            headers["Content-Type"] = content_type
        failure: KinoviError | None = None
        try:
            # The signed URL is a credential of its own: no message names it.
            put = self._files.put(
                upload_url, content=_chunks(file), headers=headers, timeout=timeout
            )
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            failure = UploadFailed(f"Could not send a reference to Kinovi: {type(error).__name__}.")
        if failure is not None:
            raise failure
        if not 200 <= put.status_code < 300:
            raise UploadFailed(f"Kinovi's upload storage answered HTTP {put.status_code}.")
        logger.info("Uploaded a reference to Kinovi (%s)", file_name)
        return url

    def _send(self, method: str, path: str, *, idempotent: bool, **kwargs: Any) -> httpx.Response:
        failure: KinoviError | None = None
        try:
            response = self._http.request(method, path, **kwargs)
        except _NOT_SENT as error:
            failure = RequestNotSent(f"Could not reach Kinovi for {path}: {type(error).__name__}.")
        except httpx.HTTPError as error:
            # Read/write timeouts, dropped connections, undecodable bodies: the request
            # may have arrived.
            failure = AnswerLost(
                f"No answer from Kinovi for {path}: {type(error).__name__}.", retryable=idempotent
            )
        if failure is not None:
            # Raised outside the except blocks, so the httpx exception (which holds the
            # request and its Authorization header) isn't its __context__.
            raise failure
        if response.status_code != 200:
            raise self._error_for(response, idempotent=idempotent)
        return response

    def _json(self, response: httpx.Response, *, idempotent: bool) -> dict[str, Any]:
        body = _json_or_none(response)
        if not isinstance(body, dict):
            message = f"Kinovi answered {response.url.path} with a body that isn't a JSON object."
            if idempotent:
                raise UnexpectedAnswer(message, retryable=True)
            raise AnswerLost(message)
        return body

    def _error_for(self, response: httpx.Response, *, idempotent: bool) -> KinoviError:
        body = _json_or_none(response)
        message = _message_of(response, body, self._scrub)
        status = response.status_code
        logger.warning("Kinovi answered %s with HTTP %s: %s", response.url.path, status, message)
        if status == 402:
            return InsufficientCredits(
                message,
                required=_credits(body.get("required")) if isinstance(body, dict) else None,
                available=_credits(body.get("available")) if isinstance(body, dict) else None,
            )
        if status == 429:
            return ConcurrencyLimit(
                message, limit=_int_field(body, "limit"), current=_int_field(body, "current")
            )
        if status in _GATEWAY_LOST and not idempotent:
            # A proxy in front of Kinovi gave up waiting: Kinovi may have created
            # the task all the same, so this is not a plain server error to retry.
            error = AnswerLost(f"HTTP {status} from a gateway: {message}")
            error.status_code = status
            return error
        if status >= 500:
            return ServerError(message, status_code=status)
        if status == 400:
            return InvalidRequest(message, errors=_errors_of(body, self._scrub))
        error_class = _ERRORS_BY_STATUS.get(status)
        if error_class is None:
            error = UnexpectedAnswer(f"HTTP {status}: {message}")
            error.status_code = status
            return error
        return error_class(message)

    def _scrub(self, text: str) -> str:
        return text.replace(self._api_key, "[API key]") if self._api_key else text


def parse_task_info(data: Any, *, status_key: str = "status") -> TaskInfo:
    """A TaskInfo from recordInfo's answer (or a webhook's `data`, whose key is `state`)."""
    if not isinstance(data, dict):
        raise MalformedTaskInfo("the task is not a JSON object")
    task_id = data.get("taskId")
    if not isinstance(task_id, str) or not task_id:
        raise MalformedTaskInfo("taskId is missing")
    try:
        status = TaskStatus(data.get(status_key))
    except ValueError:
        raise MalformedTaskInfo(f"{status_key} {data.get(status_key)!r} is unknown") from None
    error = data.get("error") if isinstance(data.get("error"), dict) else {}
    return TaskInfo(
        task_id=task_id,
        model=str(data.get("model") or ""),
        status=status,
        credits_used=_credits(data.get("creditsUsed")),
        outputs=_outputs(data.get("output")),
        error_code=str(error.get("code") or ""),
        error_message=str(error.get("message") or ""),
        create_time=_time(data.get("createTime")),
        complete_time=_time(data.get("completeTime")),
        seed=_first_present(data, "seed", _int_field),
        last_frame_url=_first_present(data, "lastFrameImage", _url_field) or "",
        duration=_duration(data),
    )


def _duration(data: dict[str, Any]) -> int | None:
    """The task's length in seconds where the record carries it: `duration` or `inputs`'."""
    inputs = data.get("inputs")
    for value in (
        data.get("duration"),
        inputs.get("duration") if isinstance(inputs, dict) else None,
    ):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 4:
            return int(value)
    return None


def _first_present(data: dict[str, Any], name: str, read: Callable[[Any, str], Any]) -> Any:
    """`name` of the task, or of its first output (Kinovi's examples show both places)."""
    value = read(data, name)
    outputs = data.get("output")
    if value is None and isinstance(outputs, list) and outputs:
        value = read(outputs[0], name)
    return value


def _url_field(body: Any, name: str) -> str | None:
    value = body.get(name) if isinstance(body, dict) else None
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None


def parse_webhook(body: bytes | dict[str, Any]) -> TaskInfo:
    """The task a webhook announces. Webhooks aren't signed: confirm with recordInfo.

    Kinovi documents two shapes: its envelope `{"code", "message", "data": {..., "state"}}`
    and the task itself, flat, with `status` as recordInfo answers.
    """
    if isinstance(body, bytes | bytearray):
        try:
            body = json.loads(body)
        # Not JSON, not UTF-8, integers too long to convert, arrays nested too deeply:
        # anyone can POST to the webhook endpoint.
        except (ValueError, RecursionError) as error:
            raise InvalidWebhook(f"the webhook body is not JSON: {error}") from None
    if isinstance(body, dict) and "data" not in body and "taskId" in body:
        task, status_key = body, "status"
    elif isinstance(body, dict) and isinstance(body.get("data"), dict):
        task, status_key = body["data"], "state"
    else:
        raise InvalidWebhook('the webhook body has no "data" object')
    try:
        return parse_task_info(task, status_key=status_key)
    except InvalidWebhook:
        raise
    except MalformedTaskInfo as error:
        raise InvalidWebhook(f"the webhook's task is unusable: {error}") from None


# Failure codes Kinovi reports on a task, said in plain words for the person who asked.
_FAILURE_EXPLANATIONS = {
    "asset_review_failed": "Kinovi couldn't use one of the references",
    "InvalidParameter": "Kinovi refused the request",
    "2038": "Kinovi's content rules rejected the prompt",
    "500": "Kinovi had an internal error making this video",
}


def explain_failure(code: str, message: str) -> str:
    """Why a task failed, in a sentence: the code's meaning, then Kinovi's own message."""
    meaning = _FAILURE_EXPLANATIONS.get(code, "Kinovi couldn't make this video")
    message = " ".join(message.split())[:_MESSAGE_MAX_CHARACTERS]
    if not message:
        return f"{meaning}."
    return f"{meaning}: {message}" + ("" if message.endswith((".", "!", "?")) else ".")


def _credits(value: Any) -> Decimal | None:
    """A non-negative credit figure as an exact Decimal: 200, 200.0 and 2.17 alike.

    A JSON number read as a float is taken by its shortest text (`repr`), which is the
    text Kinovi sent, so 2.17 stays 2.17; it is kept to pricing.CREDIT_PLACES places.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite() or number < 0:
        return None
    return number.quantize(CREDIT_SCALE, rounding=ROUND_HALF_UP)


def _outputs(value: Any) -> list[VideoOutput]:
    if not isinstance(value, list):
        return []
    return [
        VideoOutput(item["url"], _int_field(item, "width"), _int_field(item, "height"))
        for item in value
        if isinstance(item, dict) and isinstance(item.get("url"), str)
    ]


def _time(milliseconds: Any) -> datetime | None:
    if not isinstance(milliseconds, int | float) or isinstance(milliseconds, bool):
        return None
    try:
        return datetime.fromtimestamp(milliseconds / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, RecursionError):  # not JSON, not UTF-8, too deep, too long numbers
        return None


def _message_of(response: httpx.Response, body: Any, scrub: Callable[[str], str]) -> str:
    """The answer's message, with its `errors`' messages ("Invalid inputs for model:
    ..."), scrubbed of the API key first, then shortened."""
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        message = body["message"]
        details = " ".join(text for _, text in _errors_of(body, scrub))
        if details:
            message = f"{message.rstrip('.')}: {details}"
        return scrub(message)[:_MESSAGE_MAX_CHARACTERS]
    text = scrub(response.text.strip())[:_MESSAGE_MAX_CHARACTERS]
    return text or response.reason_phrase or f"HTTP {response.status_code}"


def _errors_of(body: Any, scrub: Callable[[str], str]) -> list[tuple[str, str]]:
    """Kinovi's `errors` of a 400: each problem's path (a dotted string, or a list of
    names as validators write it) and message."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return []
    found = []
    for item in errors:
        if not isinstance(item, dict) or not isinstance(item.get("message"), str):
            continue
        path = item.get("path", "")
        if isinstance(path, list):
            path = ".".join(str(part) for part in path)
        found.append((scrub(str(path)), scrub(item["message"])))
    return found


def _remaining_bytes(file: BinaryIO) -> int:
    """How many bytes are left from the file's position: the PUT declares its length."""
    start = file.tell()
    end = file.seek(0, io.SEEK_END)
    file.seek(start)
    return end - start


def _chunks(file: BinaryIO) -> Iterator[bytes]:
    while chunk := file.read(_DOWNLOAD_CHUNK_BYTES):
        yield chunk


def _too_large(max_bytes: int) -> DownloadRefused:
    return DownloadRefused(f"Kinovi's result is larger than {max_bytes // 2**20} MB.")


def _int_or_none(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() else None


def _is_header_safe(api_key: str) -> bool:
    """Visible ASCII only: what a Bearer token is made of, and what h11 will send."""
    return all("!" <= character <= "~" for character in api_key)


def _int_field(body: Any, name: str) -> int | None:
    if not isinstance(body, dict):
        return None
    value = body.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None
