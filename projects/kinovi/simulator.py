"""A local stand-in for Kinovi's jobs API, for development, demos and tests.

    python -m projects.kinovi.simulator --port 8765 --api-key KEY
    python manage.py kinovi_simulator ...   (the same flags, defaults from settings)

It serves the same contract on 127.0.0.1 (`POST /api/v1/jobs/createTask`,
`GET /api/v1/jobs/recordInfo?taskId=`): it checks the Bearer key, validates requests with
`projects.kinovi.request` against the model's catalogue entry (either documented shape
of `inputs` for the seed's models, the typed one for the others; unknown fields ignored,
as Kinovi ignores them) and answers 400 as Kinovi does ("Unknown model", "Invalid inputs
for model" with `errors` naming each field's `path`, "Invalid request parameters"). It
charges as Kinovi does: per second at the (model, resolution, reference-video tier) rate
of `pricing.SHIPPED_RATES`, plus the 4K upscale, reserved from a balance (402 names the
same price as `required`). It limits unfinished tasks (429), fetches every reference URL
and decides what each file is by its bytes (a `urls` entry is an image or a video
whatever its address says; those are fetched at once, since a video among them sets the
price), measures videos and audio, and moves each task from `waiting` through
`generating` to `success` with a real H.264 MP4 it serves itself under `/outputs/`, its
seed (the one asked for, or a random one) and its last frame as a PNG, or to `fail` with
the credits refunded. Seedance 2.5 with a reference video is charged as its page says:
`creditsUsed` is the reservation (length times rate) at `success`, and becomes
(reference video seconds, up to 30, rounded up, + length) times rate
`settle_delay_seconds` later. Finished tasks are announced to their `callBackUrl` with
Kinovi's webhook envelope.
`POST /api/v1/uploads` answers as Kinovi's does (`uploadUrl`, a signed URL to PUT the
bytes to without the API key, valid `signed_url_seconds`; `url`, where the file is then
served under `/temp-uploads/`, for `upload_ttl_seconds` (24 h) and then 404), so a
reference uploaded first is fetched back from the simulator itself.
`GET /_control/tasks/<taskId>` shows what a task received: its references, where each
came in (`urls`, `imageUrls`, ...) and what its bytes turned out to be.

Faults and behaviour are `Settings` fields, set at start from `KINOVI_SIM_<FIELD>`
environment variables (e.g. `KINOVI_SIM_ERROR_RATE=0.2`) or flags, and at run time with
`POST /_control` (a JSON object of fields), read with `GET /_control`, and restored to
their start values with `POST /_control/reset` (which also forgets every task).

On start it prints exactly one line on stdout, `Kinovi simulator listening on
http://127.0.0.1:PORT`; with `--port 0` the port is a free one. Logs go to stderr.
"""

import argparse
import io
import json
import logging
import mimetypes
import os
import random
import re
import secrets
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from dataclasses import asdict, dataclass, field, fields, replace
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import av
import httpx
from PIL import Image, ImageDraw

from projects.kinovi import catalogue
from projects.kinovi.pricing import SHIPPED_RATES, format_credits, plain_credits, price, to_credits
from projects.kinovi.references import Kind, Slot, slots_for
from projects.kinovi.request import (
    SEED_MAX,
    GenerationSpec,
    ParsedPayload,
    Problem,
    check_reference_video_length,
    format_names,
    parse_payload,
    resolve_kinds,
    validate,
)
from projects.kinovi.sniff import FORMATS, HEAD_SIZE, sniff

logger = logging.getLogger(__name__)


def json_credits(value) -> int | float:
    """Credits as Kinovi writes them in JSON: 200, or 2.17 (a number, never a string)."""
    text = plain_credits(value)
    return float(text) if "." in text else int(text)


API_PREFIX = "/api/v1/jobs"
UPLOADS_PATH = "/api/v1/uploads"
_PUT_CHUNK_BYTES = 256 * 1024
OUTPUT_LONG_SIDE = 320
OUTPUT_FPS = 2
ENV_PREFIX = "KINOVI_SIM_"
# Rules Kinovi reports by failing the task rather than refusing the request.
TASK_FAILURE_RULES = {"audio_only"}
# Settings that also have a command-line flag (flags win over the environment), with
# their help text.
SETTINGS_FLAGS = {
    "waiting_seconds": "seconds a task stays `waiting` after its references were fetched",
    "generating_seconds": "seconds a task stays `generating`",
    "balance": "credits at start",
    "concurrency_limit": "unfinished tasks allowed at once (more are answered with a 429)",
    "policy_marker": "prompts containing it fail with code 2038",
}
DEFAULT_PORT = 8765


@dataclass
class Settings:
    """Everything the control endpoint, the flags and KINOVI_SIM_* variables can set."""

    waiting_seconds: float = 2.0  # in `waiting`, after the references were fetched
    generating_seconds: float = 5.0
    balance: Decimal = Decimal(100_000)  # credits left
    concurrency_limit: int = 5  # unfinished tasks allowed at once
    error_rate: float = 0.0  # share of API calls answered with a 500
    force_429: bool = False  # answer every createTask with a concurrency-limit 429
    delay_seconds: float = 0.0  # every API answer comes this late
    timeout_rate: float = 0.0  # share of API calls that hang, then close without answer
    hang_seconds: float = 60.0  # how long those hang; longer than a client's read timeout
    lost_answer_rate: float = 0.0  # share of createTask calls that create the task, then hang
    duplicate_webhooks: int = 0  # extra copies of every webhook
    webhook_delay_seconds: float = 0.0
    policy_marker: str = "forbidden"  # prompts containing it fail with code 2038
    upload_ttl_seconds: float = 86_400.0  # an upload is served this long, then 404
    signed_url_seconds: float = 900.0  # how long an upload's signed PUT URL is valid
    # Seedance 2.5 with a reference video: how long after `success` `creditsUsed` turns
    # from the reservation into the final charge ("shortly after", its page says).
    settle_delay_seconds: float = 3.0


@dataclass
class StoredUpload:
    """A file announced with POST /uploads; `data` is None until its PUT arrives."""

    file_name: str
    content_type: str
    signature: str
    created: float  # time.time()
    data: bytes | None = None


@dataclass
class Task:
    task_id: str
    request: ParsedPayload  # as received: `urls` entries have no kind until fetched
    credits: Decimal  # creditsUsed: the reservation, then (2.5, reference video) the charge
    create_time: int
    seed: int  # the one asked for, or a random one
    has_video_reference: bool = False  # sets the rate tier
    fetched: dict[str, bytes] = field(default_factory=dict)  # `urls` entries, read at create
    fetched_kinds: list[Kind | None] = field(default_factory=list)  # what the bytes are
    reference_video_seconds: float = 0.0  # measured, all reference videos together
    status: str = "waiting"
    output: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, str] | None = None
    complete_time: int | None = None
    update_time: int = 0

    @property
    def spec(self) -> GenerationSpec:
        assert self.request.spec is not None  # only well-shaped requests become tasks
        return self.request.spec

    def received(self) -> dict[str, Any]:
        """What the task was sent, for tests: not part of Kinovi's API."""
        fields_in = {
            None: "urls",
            Kind.IMAGE: "imageUrls",
            Kind.VIDEO: "videoUrls",
            Kind.AUDIO: "audioUrls",
        }
        fetched = self.fetched_kinds + [None] * (
            len(self.spec.references) - len(self.fetched_kinds)
        )
        return {
            "taskId": self.task_id,
            "shape": self.request.shape,
            "outputResolution": self.request.output_resolution,
            "upscale4k": self.spec.upscale_4k,
            "generateAudio": self.spec.generate_audio,
            "seed": self.spec.seed,
            "highBitrate": self.spec.high_bitrate,
            "duration": self.spec.duration,
            "aspectRatio": self.spec.aspect_ratio,
            "prompt": self.spec.prompt,
            "references": [
                {"url": ref.url, "sentIn": fields_in[ref.kind], "fetchedKind": kind}
                for ref, kind in zip(self.spec.references, fetched, strict=True)
            ],
        }

    def record(self) -> dict[str, Any]:
        """As recordInfo answers."""
        return {
            "taskId": self.task_id,
            "model": self.spec.model,
            "status": self.status,
            "creditsUsed": json_credits(self.credits),
            "output": self.output,
            "error": self.error,
            "createTime": self.create_time,
            "completeTime": self.complete_time,
        }

    def webhook(self) -> dict[str, Any]:
        data = self.record()
        data["state"] = data.pop("status")
        data |= {"orderId": f"order_{self.task_id}", "updateTime": self.update_time}
        return {"code": 200, "message": "success", "data": data}


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


class HangUp(Exception):
    """Answer nothing: keep the connection open for a while, then close it."""


class Simulator:
    """The simulated Kinovi account: settings, balance, tasks and their outputs."""

    def __init__(self, api_key: str, settings: Settings) -> None:
        self.api_key = api_key
        self.start_settings = settings
        self.settings = replace(settings)
        self.root_url = ""
        self.lock = threading.Lock()
        self.tasks: dict[str, Task] = {}
        self.outputs: dict[str, bytes] = {}
        self.last_frames: dict[str, bytes] = {}  # PNGs, by task id
        self.uploads: dict[str, StoredUpload] = {}
        self.webhooks = Counter[str]()
        self.http = httpx.Client(timeout=10.0, follow_redirects=True)

    # Control -----------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {
                "settings": asdict(self.settings),
                "tasks": dict(Counter(task.status for task in self.tasks.values())),
                "webhooks": dict(self.webhooks),
                "uploads": sum(upload.data is not None for upload in self.uploads.values()),
            }

    def received(self, task_id: str) -> dict[str, Any] | None:
        with self.lock:
            task = self.tasks.get(task_id)
            return task.received() if task else None

    def update_settings(self, changes: Any) -> None:
        if not isinstance(changes, dict):
            raise ValueError("Send a JSON object of settings.")
        unknown = sorted(set(changes) - {f.name for f in fields(Settings)})
        if unknown:
            raise ValueError(f"Unknown settings: {', '.join(unknown)}.")
        converted = {name: _convert(name, value) for name, value in changes.items()}
        with self.lock:
            self.settings = replace(self.settings, **converted)

    def reset(self) -> None:
        with self.lock:
            self.settings = replace(self.start_settings)
            self.tasks.clear()
            self.outputs.clear()
            self.last_frames.clear()
            self.uploads.clear()
            self.webhooks.clear()

    # The jobs API ------------------------------------------------------------------------

    def create_task(self, body: Any) -> Answer:
        parsed = parse_payload(body)
        refusal = _invalid(body, parsed)
        if refusal:
            return refusal
        spec = parsed.spec
        assert spec is not None  # _invalid refuses a body without one
        fetched = self._fetch_undecided(spec)
        fetched_kinds = {_kind_of(content) for content in fetched.values()}
        has_video = Kind.VIDEO in fetched_kinds or any(
            ref.kind == Kind.VIDEO for ref in spec.references
        )
        try:
            credits = reserved_credits(spec, has_video_reference=has_video)
        except ValueError as error:  # a (model, resolution) without a price
            return _invalid_inputs([("inputs.outputResolution", str(error))])
        seed = spec.seed if spec.seed is not None else random.randint(0, SEED_MAX)
        with self.lock:
            refusal = self._refusal(credits)
            if refusal:
                return refusal
            self.settings.balance -= credits
            task = Task(
                f"task_{secrets.token_hex(10)}",
                parsed,
                credits,
                _now_ms(),
                seed=seed,
                has_video_reference=has_video,
                fetched=fetched,
            )
            task.update_time = task.create_time
            self.tasks[task.task_id] = task
            lose_answer = random.random() < self.settings.lost_answer_rate
        logger.info("Created %s (%s credits)", task.task_id, format_credits(credits))
        threading.Thread(target=self._run, args=(task,), daemon=True).start()
        if lose_answer:
            raise HangUp
        return Answer(200, {"taskId": task.task_id})

    def _fetch_undecided(self, spec: GenerationSpec) -> dict[str, bytes]:
        """The files of `urls` entries, by URL: only their bytes tell whether a video is
        among them, and a video sets the price. One that can't be fetched is left out
        (the review fails the task, refunded)."""
        fetched = {}
        for ref in spec.references:
            if ref.kind is None and ref.url not in fetched:
                content, problem = self._fetch(ref.url, "")
                if problem is None:
                    fetched[ref.url] = content
        return fetched

    def _refusal(self, credits: Decimal) -> Answer | None:
        limit = self.settings.concurrency_limit
        unfinished = sum(task.status in ("waiting", "generating") for task in self.tasks.values())
        if self.settings.force_429 or unfinished >= limit:
            current = max(unfinished, limit) if self.settings.force_429 else unfinished
            message = f"Concurrency limit exceeded: {current} of {limit} tasks in progress."
            return Answer(429, {"message": message, "limit": limit, "current": current})
        if credits > self.settings.balance:
            message = (
                f"Insufficient credits: {format_credits(credits)} required, "
                f"{format_credits(max(self.settings.balance, Decimal(0)))} available."
            )
            body = {
                "message": message,
                "required": json_credits(credits),
                "available": json_credits(max(self.settings.balance, Decimal(0))),
            }
            return Answer(402, body)
        return None

    def record_info(self, task_id: str) -> Answer:
        if not task_id:
            return Answer(400, {"message": "taskId is required."})
        with self.lock:
            task = self.tasks.get(task_id)
            record = task.record() if task else None
        if record is None:
            return Answer(404, {"message": f"Task {task_id} not found."})
        return Answer(200, record)

    # Uploads -----------------------------------------------------------------------------

    def create_upload(self, body: Any) -> Answer:
        file_name = body.get("fileName") if isinstance(body, dict) else None
        if not isinstance(file_name, str) or not file_name.strip() or len(file_name) > 255:
            return Answer(400, {"message": "fileName is required (at most 255 characters)."})
        file_name = re.sub(r"[^A-Za-z0-9._-]", "_", file_name.strip())
        requested = body.get("contentType")
        content_type = (
            requested
            if isinstance(requested, str) and requested
            else mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        )
        upload_id, signature = secrets.token_hex(12), secrets.token_urlsafe(16)
        with self.lock:
            self.uploads[upload_id] = StoredUpload(file_name, content_type, signature, time.time())
            ttl, signed_for = self.settings.upload_ttl_seconds, self.settings.signed_url_seconds
        return Answer(
            200,
            {
                "uploadUrl": f"{self.root_url}/_uploads/{upload_id}?signature={signature}",
                "url": f"{self.root_url}/temp-uploads/{upload_id}/{file_name}",
                "path": f"temp-uploads/{upload_id}/{file_name}",
                "method": "PUT",
                "contentType": content_type,
                "expiresIn": int(signed_for),
                "assetTtlSeconds": int(ttl),
            },
        )

    def signed_upload(self, upload_id: str, signature: str) -> StoredUpload | None:
        """The upload a PUT may fill: signature right, signed URL not expired, not filled."""
        with self.lock:
            upload = self.uploads.get(upload_id)
            signed_for = self.settings.signed_url_seconds
        if upload is None or not secrets.compare_digest(upload.signature, signature):
            return None
        if upload.data is not None or time.time() > upload.created + signed_for:
            return None
        return upload

    def uploaded_file(self, upload_id: str, file_name: str) -> StoredUpload | None:
        """An upload's file while Kinovi keeps it (upload_ttl_seconds), else None."""
        with self.lock:
            upload = self.uploads.get(upload_id)
            ttl = self.settings.upload_ttl_seconds
        if upload is None or upload.data is None or upload.file_name != file_name:
            return None
        if time.time() > upload.created + ttl:
            with self.lock:
                self.uploads.pop(upload_id, None)  # deleted, as Kinovi deletes them
            return None
        return upload

    # A task's life -----------------------------------------------------------------------

    def _run(self, task: Task) -> None:
        try:
            self._generate(task)
        except Exception:
            # A simulator bug must not leave the task generating forever.
            logger.exception("Task %s crashed", task.task_id)
            self._finish(task, "fail", error={"code": "500", "message": "Internal error."})

    def _generate(self, task: Task) -> None:
        started = time.monotonic()
        failure = self._review_references(task)
        if failure:
            self._finish(task, "fail", error=failure)
            return
        time.sleep(max(0.0, started + self.settings.waiting_seconds - time.monotonic()))
        if not self._update(task, status="generating"):
            return
        started = time.monotonic()
        marker = self.settings.policy_marker.lower()
        video = None if marker and marker in task.spec.prompt.lower() else _render(task.spec)
        time.sleep(max(0.0, started + self.settings.generating_seconds - time.monotonic()))
        if video is None:
            message = "The prompt was rejected by the content policy."
            self._finish(task, "fail", error={"code": "2038", "message": message})
            return
        with self.lock:
            self.outputs[task.task_id] = video.data
            self.last_frames[task.task_id] = video.last_frame
        output = {
            "url": f"{self.root_url}/outputs/{task.task_id}.mp4",
            "width": video.width,
            "height": video.height,
            "mediaType": "video/mp4",
            "seed": task.seed,
            "lastFrameImage": f"{self.root_url}/outputs/{task.task_id}_lastframe.png",
        }
        self._finish(task, "success", output=[output])
        if task.has_video_reference and catalogue.spec_for(task.spec.model).settles_after_success:
            time.sleep(self.settings.settle_delay_seconds)
            self._settle_late(task)

    def _settle_late(self, task: Task) -> None:
        """Seedance 2.5 with a reference video: `creditsUsed` becomes the final charge,
        (reference video seconds, capped, + length) times rate; the balance pays the
        difference."""
        final = charged_credits(
            task.spec,
            has_video_reference=True,
            reference_video_seconds=task.reference_video_seconds,
        )
        with self.lock:
            if self.tasks.get(task.task_id) is not task:
                return  # forgotten by a reset
            self.settings.balance -= final - task.credits
            task.credits = final
            task.update_time = _now_ms()
        logger.info("Task %s: creditsUsed is now %s", task.task_id, format_credits(final))

    def _review_references(self, task: Task) -> dict[str, str] | None:
        """Fetch and inspect every reference as Kinovi's review does; the first problem.

        What a file is comes from its bytes: a `urls` entry becomes an image or a video
        here (its bytes were read at create), and only then can the rules that count
        images and videos be checked. The limits are the model's.
        """
        spec = task.spec
        model = catalogue.spec_for(spec.model)
        kinds = [ref.kind for ref in spec.references]
        if Kind.IMAGE not in kinds and Kind.VIDEO not in kinds and None not in kinds:
            message = (
                f"Audio can't be the only reference of {model.label}; add an image or a video."
            )
            return {"code": "InvalidParameter", "message": message}
        contents: list[bytes] = []
        fetched_kinds: list[Kind | None] = []
        for ref, name in zip(spec.references, _names_before_fetching(spec), strict=True):
            if ref.kind is None and ref.url in task.fetched:
                content, problem = task.fetched[ref.url], None
            else:
                content, problem = self._fetch(ref.url, name)
            if problem:
                return problem
            fetched_kind = _kind_of(content)
            problem = _misplaced(ref.kind, fetched_kind, name)
            if problem:
                return problem
            contents.append(content)
            # An M4A in audioUrls may announce itself as MP4: it is audio all the same.
            fetched_kinds.append(ref.kind or fetched_kind)
        self._update(task, fetched_kinds=fetched_kinds, fetched={})
        resolved = resolve_kinds(
            spec,
            [k for ref, k in zip(spec.references, fetched_kinds, strict=True) if ref.kind is None],
        )
        problems = validate(resolved)
        if problems:
            message = " ".join(problem.message for problem in problems)
            return {"code": "InvalidParameter", "message": message}
        audio_seconds = video_seconds = 0.0
        slots = slots_for([ref.kind for ref in resolved.references if ref.kind is not None])
        for slot, content in zip(slots, contents, strict=True):
            problem, seconds = _inspect(slot, content, spec.model)
            if problem:
                return problem
            audio_seconds += seconds if slot.kind == Kind.AUDIO else 0.0
            video_seconds += seconds if slot.kind == Kind.VIDEO else 0.0
        if video_seconds > model.video_total_max_seconds:
            message = (
                f"The reference videos are {video_seconds:.1f} s long in total; "
                f"at most {model.video_total_max_seconds:g} s are allowed."
            )
            return {"code": "InvalidParameter", "message": message}
        if audio_seconds > model.audio_total_max_seconds:
            message = (
                f"The reference audio is {audio_seconds:.1f} s long in total; "
                f"at most {model.audio_total_max_seconds:g} s are allowed."
            )
            return {"code": "InvalidParameter", "message": message}
        self._update(task, reference_video_seconds=video_seconds)
        return None

    def _fetch(self, url: str, name: str) -> tuple[bytes, dict[str, str] | None]:
        try:
            response = self.http.get(url)
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            message = f"{name} could not be fetched: {type(error).__name__}"
            return b"", {"code": "asset_review_failed", "message": message}
        if response.status_code != 200:
            message = f"{name} could not be fetched: HTTP {response.status_code}"
            return b"", {"code": "asset_review_failed", "message": message}
        return response.content, None

    def _is_current(self, task: Task) -> bool:
        """False once a reset forgot the task."""
        with self.lock:
            return self.tasks.get(task.task_id) is task

    def _update(self, task: Task, **changes: Any) -> bool:
        """Change a task that still exists; False if a reset forgot it."""
        with self.lock:
            if self.tasks.get(task.task_id) is not task:
                return False
            for name, value in changes.items():
                setattr(task, name, value)
            task.update_time = _now_ms()
            return True

    def _finish(self, task: Task, status: str, **changes: Any) -> None:
        if not self._update(task, status=status, complete_time=_now_ms(), **changes):
            return
        logger.info("Task %s: %s", task.task_id, status)
        if status == "fail":
            with self.lock:
                self.settings.balance += task.credits
        if task.spec.callback_url:
            threading.Thread(target=self._deliver, args=(task,), daemon=True).start()

    def _deliver(self, task: Task) -> None:
        url, envelope = task.spec.callback_url, task.webhook()
        time.sleep(self.settings.webhook_delay_seconds)
        for _ in range(1 + self.settings.duplicate_webhooks):
            if not self._is_current(task):
                return  # forgotten by a reset while waiting
            try:
                response = self.http.post(url, json=envelope)
                response.raise_for_status()
            except httpx.HTTPError as error:
                logger.warning("Webhook to %s failed: %s", url, error)
                outcome = "failed"
            else:
                outcome = "delivered"
            with self.lock:
                self.webhooks[outcome] += 1


@dataclass(frozen=True)
class RenderedVideo:
    data: bytes
    width: int
    height: int
    last_frame: bytes  # a PNG, as Kinovi's `lastFrameImage`


def output_size(aspect_ratio: str) -> tuple[int, int]:
    """Width and height, even numbers, the long side OUTPUT_LONG_SIDE."""
    across, down = (int(part) for part in aspect_ratio.split(":"))
    short = round(OUTPUT_LONG_SIDE * min(across, down) / max(across, down) / 2) * 2
    return (OUTPUT_LONG_SIDE, short) if across >= down else (short, OUTPUT_LONG_SIDE)


def _render(spec: GenerationSpec) -> RenderedVideo:
    """A small H.264 MP4 as long as asked: a colour sweep with a moving square."""
    width, height = output_size(spec.aspect_ratio)
    frame_count = spec.duration * OUTPUT_FPS
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "output.mp4"
        # faststart puts the index first, so players can start before the end arrives.
        with av.open(str(path), "w", options={"movflags": "faststart"}) as container:
            stream = container.add_stream("libx264", rate=OUTPUT_FPS)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.options = {"preset": "ultrafast"}
            for number in range(frame_count):
                picture = _frame_picture(width, height, number / frame_count)
                frame = av.VideoFrame.from_image(picture).reformat(format="yuv420p")
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
        last = io.BytesIO()
        _frame_picture(width, height, (frame_count - 1) / frame_count).save(last, "PNG")
        return RenderedVideo(path.read_bytes(), width, height, last.getvalue())


def _frame_picture(width: int, height: int, progress: float) -> Image.Image:
    shade = int(255 * progress)
    picture = Image.new("RGB", (width, height), (40, shade, 255 - shade))
    side = min(width, height) // 4
    left = int((width - side) * progress)
    ImageDraw.Draw(picture).rectangle((left, side, left + side, 2 * side), fill=(255, 220, 0))
    return picture


def reserved_credits(spec: GenerationSpec, *, has_video_reference: bool) -> Decimal:
    """What Kinovi reserves at submit: length times the (model, resolution, tier) rate,
    plus the 4K upscale. Final, but for Seedance 2.5 with a reference video (see
    `charged_credits`)."""
    quoted = _price(spec, has_video_reference=has_video_reference)
    if quoted.settles_after_success:
        return quoted.credits_per_second * spec.duration
    return quoted.credits


def charged_credits(
    spec: GenerationSpec, *, has_video_reference: bool, reference_video_seconds: float
) -> Decimal:
    """What Kinovi finally charges once the reference videos were measured."""
    return _price(
        spec,
        has_video_reference=has_video_reference,
        reference_video_seconds=reference_video_seconds,
    ).credits


def _price(spec: GenerationSpec, **tier: Any):
    return price(
        spec.model,
        spec.duration,
        spec.upscale_4k,
        resolution=spec.resolution,
        rates=SHIPPED_RATES,
        **tier,
    )


# Problems about the request itself, not the model's inputs.
_REQUEST_FIELDS = {"body", "inputs", "callback_url"}
# Where each field of a Problem is in the body (`references`: images and videos).
_PATHS = {
    "model": "model",
    "prompt": "inputs.prompt",
    "images": "inputs.imageUrls",
    "videos": "inputs.videoUrls",
    "audio": "inputs.audioUrls",
    "references": "inputs.imageUrls",
    "duration": "inputs.duration",
    "aspect_ratio": "inputs.aspectRatio",
    "mode": "inputs.mode",
    "resolution": "inputs.outputResolution",
    "upscale": "inputs.upscaleResolution",
    "seed": "inputs.seed",
    "generate_audio": "inputs.generate_audio",
    "high_bitrate": "inputs.bitrate_mode",
    "callback_url": "callBackUrl",
    "inputs": "inputs",
    "body": "",
}


def _invalid(body: Any, parsed: ParsedPayload) -> Answer | None:
    """Kinovi's 400 for a body it refuses before creating a task, or None.

    A malformed body (not an object, no inputs, a callBackUrl that isn't a URL) is
    "Invalid request parameters"; a model Kinovi doesn't have, "Unknown model"; a
    field the model doesn't accept, "Invalid inputs for model" with each problem's
    `path`. Rules Kinovi applies by failing the task (audio as the only reference)
    pass here.
    """
    problems = [p for p in parsed.errors if p.rule not in TASK_FAILURE_RULES]
    if not problems and parsed.spec is not None:
        return None
    inputs = body.get("inputs") if isinstance(body, dict) else None
    in_urls = parsed.shape == "urls" or (
        not parsed.shape and isinstance(inputs, dict) and "urls" in inputs
    )
    errors = [(_path(problem, in_urls), problem.message) for problem in problems]
    if any(
        p.field in _REQUEST_FIELDS or (p.field == "model" and p.rule == "shape") for p in problems
    ):
        return _answer_400("Invalid request parameters", errors)
    if body["model"] not in catalogue.CATALOGUE:
        return Answer(400, {"message": "Unknown model"})
    return _invalid_inputs(errors)


def _path(problem: Problem, in_urls: bool) -> str:
    if in_urls and problem.field in ("images", "videos", "references"):
        return "inputs.urls"
    return _PATHS.get(problem.field, "inputs")


def _invalid_inputs(errors: list[tuple[str, str]]) -> Answer:
    return _answer_400("Invalid inputs for model", errors)


def _answer_400(message: str, errors: list[tuple[str, str]]) -> Answer:
    listed = [{"path": path, "message": text} for path, text in errors]
    return Answer(400, {"message": message, "errors": listed})


_PILLOW_IMAGE_FORMATS = {
    name for fmt in FORMATS.values() if fmt.kind == Kind.IMAGE for name in fmt.probe_names
}
_IMAGE = f"a {format_names(Kind.IMAGE)} image"  # "a JPEG, PNG or WebP image"
_VIDEO = f"an {format_names(Kind.VIDEO)} video"


def _names_before_fetching(spec: GenerationSpec) -> list[str]:
    """How the review names each reference while `urls` entries have no kind yet."""
    known = slots_for([ref.kind for ref in spec.references if ref.kind is not None])
    slots = iter(known)
    names = []
    for position, ref in enumerate(spec.references, 1):
        if ref.kind is None:
            names.append(f"Reference {position}")
        else:
            slot = next(slots)
            names.append(f"Reference {slot.kind} {slot.position}")
    return names


def _kind_of(content: bytes) -> Kind | None:
    """What the bytes say the file is; MP4 counts as video (an M4A may say so, too)."""
    fmt = sniff(content[:HEAD_SIZE])
    return fmt.kind if fmt else None


def _misplaced(sent_as: Kind | None, fetched: Kind | None, name: str) -> dict[str, str] | None:
    """The review's answer to a file that is not what its field holds, or None."""
    rejected = {"code": "asset_review_failed"}
    if sent_as is None:  # `urls`: images and videos
        if fetched in (Kind.IMAGE, Kind.VIDEO):
            return None
        message = f"{name} is not {_IMAGE} or {_VIDEO}."
        return rejected | {"message": message}
    # An M4A file may carry an MP4 brand: the audio review reads its streams.
    if fetched == sent_as or (sent_as == Kind.AUDIO and fetched == Kind.VIDEO):
        return None
    expected = {Kind.IMAGE: _IMAGE, Kind.VIDEO: _VIDEO, Kind.AUDIO: "an audio file"}
    return rejected | {"message": f"{name} is not {expected[sent_as]}."}


def _inspect(slot: Slot, content: bytes, model: str) -> tuple[dict[str, str] | None, float]:
    """A reference file's review problem (or None), and its length in seconds."""
    name = f"Reference {slot.kind} {slot.position}"
    rejected = {"code": "asset_review_failed"}
    if slot.kind == Kind.IMAGE:
        return _inspect_image(content, name), 0.0
    seconds = _media_seconds(content, slot.kind)
    if seconds is None:
        kind = _VIDEO if slot.kind == Kind.VIDEO else "an audio file"
        return rejected | {"message": f"{name} is not {kind}."}, 0.0
    refused = check_reference_video_length(seconds, model) if slot.kind == Kind.VIDEO else ""
    if refused:
        message = f"{name} is {seconds:.1f} s long; {refused}."
        return {"code": "InvalidParameter", "message": message}, seconds
    return None, seconds


def _inspect_image(content: bytes, name: str) -> dict[str, str] | None:
    """The review of an image: an accepted format, a sane number of pixels."""
    rejected = {"code": "asset_review_failed"}
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its pixel limit and twice that; refuse both.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as picture:
                image_format = picture.format
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Kinovi doesn't document its limit; Pillow's guard (89.5 megapixels) stands in.
        limit = Image.MAX_IMAGE_PIXELS or 0
        message = f"{name} has too many pixels; at most {limit:,} are accepted."
        return rejected | {"message": message}
    except (OSError, ValueError, SyntaxError):
        image_format = None
    if image_format not in _PILLOW_IMAGE_FORMATS:
        return rejected | {"message": f"{name} is not {_IMAGE}."}
    return None


def _media_seconds(content: bytes, kind: Kind) -> float | None:
    """Length of a video (MP4 only) or audio file, or None when it isn't one."""
    try:
        with av.open(io.BytesIO(content)) as container:
            streams = container.streams.video if kind == Kind.VIDEO else container.streams.audio
            if not streams or (kind == Kind.VIDEO and not _is_mp4(container)):
                return None
            if container.duration is not None:
                return container.duration / av.time_base
            stream = streams[0]
            return float(stream.duration * stream.time_base) if stream.duration else None
    # A hostile file may leave a stream without a time base (TypeError) or claim an
    # absurd length (OverflowError): it is not a file Kinovi would accept either.
    except (av.FFmpegError, ValueError, TypeError, OverflowError, ZeroDivisionError):
        return None


def _is_mp4(container: Any) -> bool:
    """MP4 rather than QuickTime: FFmpeg reads both with its `mov,mp4,...` demuxer.

    The `ftyp` box tells them apart: QuickTime's major brand is `qt  `, and old QuickTime
    files have no `ftyp` at all; MP4's is isom, mp41, mp42, avc1, iso2... (FFmpeg
    reports the major brand as container metadata).
    """
    if "mp4" not in container.format.name:
        return False
    brand = container.metadata.get("major_brand", "").strip().lower()
    return brand not in ("", "qt")


def _convert(name: str, value: Any) -> Any:
    """A setting's value from JSON or an environment variable, checked against its type."""
    kind = {f.name: f.type for f in fields(Settings)}[name]
    if kind is bool:
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)
    try:
        if kind is Decimal:  # credits: exact, a JSON number by the text it was sent as
            converted = to_credits(repr(value) if isinstance(value, float) else value)
        else:
            converted = kind(value)
    except (TypeError, ValueError):
        noun = "number of credits" if kind is Decimal else kind.__name__
        raise ValueError(f"{name}: {value!r} is not a valid {noun}.") from None
    if kind is not str and converted < 0:
        raise ValueError(f"{name} can't be negative.")
    if name.endswith("_rate") and converted > 1:
        raise ValueError(f"{name} is a share of calls, from 0 to 1.")
    return converted


def settings_from_environment(environ: dict[str, str] | None = None) -> Settings:
    environ = dict(os.environ if environ is None else environ)
    changes = {
        f.name: _convert(f.name, environ[ENV_PREFIX + f.name.upper()])
        for f in fields(Settings)
        if ENV_PREFIX + f.name.upper() in environ
    }
    return Settings(**changes)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle's algorithm on, the body waits
    # for the client's delayed ACK (~40 ms) on every kept-alive answer.
    disable_nagle_algorithm = True
    server: "SimulatorServer"

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == f"{API_PREFIX}/recordInfo":
            query = parse_qs(urlsplit(self.path).query)
            self._api(lambda: self.simulator.record_info(query.get("taskId", [""])[0]))
        elif path == "/_control":
            self._send_json(200, self.simulator.state())
        elif match := re.fullmatch(r"/_control/tasks/(task_[0-9a-f]+)", path):
            received = self.simulator.received(match[1])
            if received is None:
                self._send_json(404, {"message": f"Task {match[1]} not found."})
            else:
                self._send_json(200, received)
        elif match := re.fullmatch(r"/outputs/(task_[0-9a-f]+)\.mp4", path):
            self._send_output(match[1])
        elif match := re.fullmatch(r"/outputs/(task_[0-9a-f]+)_lastframe\.png", path):
            self._send_last_frame(match[1])
        elif match := re.fullmatch(r"/temp-uploads/([0-9a-f]+)/([A-Za-z0-9._-]+)", path):
            self._send_upload(match[1], match[2])
        else:
            self._send_json(404, {"message": "Not found."})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if path == f"{API_PREFIX}/createTask":
            self._api(lambda: self.simulator.create_task(_json_or_none(body)))
        elif path == UPLOADS_PATH:
            self._api(lambda: self.simulator.create_upload(_json_or_none(body)))
        elif path == "/_control":
            try:
                self.simulator.update_settings(_json_or_none(body))
            except ValueError as error:
                self._send_json(400, {"message": str(error)})
                return
            self._send_json(200, self.simulator.state())
        elif path == "/_control/reset":
            self.simulator.reset()
            self._send_json(200, self.simulator.state())
        else:
            self._send_json(404, {"message": "Not found."})

    def do_PUT(self) -> None:
        """The bytes of an upload, to its signed URL; no API key is needed (or looked at)."""
        parts = urlsplit(self.path)
        match = re.fullmatch(r"/_uploads/([0-9a-f]+)", parts.path)
        length = self.headers.get("Content-Length")
        if not length or not length.isdigit():
            self.close_connection = True
            self._send_json(411, {"message": "Content-Length is required."})
            return
        remaining, chunks = int(length), []
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, _PUT_CHUNK_BYTES))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        signature = parse_qs(parts.query).get("signature", [""])[0]
        upload = self.simulator.signed_upload(match[1], signature) if match else None
        if upload is None:
            self._send_json(403, {"message": "The signed URL is invalid or has expired."})
            return
        with self.simulator.lock:
            upload.data = b"".join(chunks)
        self._send_json(200, {"message": "Stored."})

    @property
    def simulator(self) -> Simulator:
        return self.server.simulator

    def _api(self, call: Any) -> None:
        if self.headers.get("Authorization") != f"Bearer {self.simulator.api_key}":
            self._send_json(401, {"message": "Invalid or missing API key."})
            return
        settings = self.simulator.settings
        time.sleep(settings.delay_seconds)
        try:
            if random.random() < settings.timeout_rate:
                raise HangUp
            if random.random() < settings.error_rate:
                self._send_json(500, {"message": "Internal server error (simulated)."})
                return
            answer = call()
        except HangUp:
            time.sleep(self.simulator.settings.hang_seconds)
            self.close_connection = True
            return
        self._send_json(answer.status, answer.body)

    def _send_output(self, task_id: str) -> None:
        data = self.simulator.outputs.get(task_id)
        if data is None:
            self._send_json(404, {"message": "Not found."})
            return
        start, end = 0, len(data) - 1
        status = 200
        if match := re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", "")):
            start, end = int(match[1]), min(int(match[2] or end), end)
            status = 206
        self.send_response(status)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(max(0, end - start + 1)))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        self.end_headers()
        self.wfile.write(data[start : end + 1])

    def _send_last_frame(self, task_id: str) -> None:
        data = self.simulator.last_frames.get(task_id)
        if data is None:
            self._send_json(404, {"message": "Not found."})
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_upload(self, upload_id: str, file_name: str) -> None:
        upload = self.simulator.uploaded_file(upload_id, file_name)
        if upload is None or upload.data is None:
            self._send_json(404, {"message": "Not found."})
            return
        self.send_response(200)
        self.send_header("Content-Type", upload.content_type)
        self.send_header("Content-Length", str(len(upload.data)))
        self.end_headers()
        self.wfile.write(upload.data)

    def _send_json(self, status: int, body: dict[str, Any]) -> None:
        # Credits (the balance, a task's charge) are Decimals: written as JSON numbers.
        data = json.dumps(body, default=json_credits).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, simulator: Simulator, host: str = "127.0.0.1") -> None:
        super().__init__((host, port), Handler)
        self.simulator = simulator
        simulator.root_url = f"http://{host}:{self.server_address[1]}"


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # not JSON or UTF-8, too long numbers, too deep
        return None


def _now_ms() -> int:
    return int(time.time() * 1000)


def add_arguments(
    parser: argparse.ArgumentParser, *, port: int = DEFAULT_PORT, api_key: str = ""
) -> None:
    """The command-line flags, shared by `python -m` and `manage.py kinovi_simulator`."""
    parser.add_argument("--port", type=int, default=port, help="0 picks a free port")
    parser.add_argument(
        "--api-key",
        default=api_key or os.environ.get("KINOVI_SIMULATOR_KEY", "sim-local-key"),
        help="the Bearer key the simulator accepts",
    )
    for name, help_text in SETTINGS_FLAGS.items():
        kind = {f.name: f.type for f in fields(Settings)}[name]
        flag = "--" + name.replace("_", "-")
        parser.add_argument(
            flag,
            type=to_credits if kind is Decimal else kind,
            help=f"{help_text} (default: {getattr(Settings, name)})",
        )


def serve(*, port: int, api_key: str, **flags: Any) -> None:
    """Run until interrupted. `flags` are Settings fields; None leaves the environment's."""
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
    )
    try:
        changes = {
            name: _convert(name, value)
            for name, value in flags.items()
            if name in SETTINGS_FLAGS and value is not None
        }
        settings = replace(settings_from_environment(), **changes)
    except ValueError as error:
        raise SystemExit(f"Kinovi simulator: {error}") from None
    server = SimulatorServer(port, Simulator(api_key, settings))
    print(f"Kinovi simulator listening on {server.simulator.root_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the local Kinovi simulator.")
    add_arguments(parser)
    serve(**vars(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
