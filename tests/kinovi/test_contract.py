"""The client against the simulator, over real HTTP."""

import io
import logging
import shutil
import socket
import struct
import time
import traceback
import zlib

import av
import httpx
import pytest

from projects.kinovi.client import (
    AnswerLost,
    AuthenticationFailed,
    ConcurrencyLimit,
    InsufficientCredits,
    InvalidRequest,
    KinoviClient,
    RequestNotSent,
    ServerError,
    TaskNotFound,
    TaskStatus,
    parse_webhook,
)
from projects.kinovi.pricing import credits_for
from projects.kinovi.references import Kind
from projects.kinovi.request import GenerationSpec, ReferenceMedia, build_request


@pytest.fixture
def sim(fresh_kinovi_simulator):
    return fresh_kinovi_simulator


@pytest.fixture
def client(sim):
    with KinoviClient(sim.base_url, sim.api_key) as client:
        yield client


def payload(media_server, prompt="@image1 waves", references=None, *, shape="urls", **fields):
    references = references or [
        ReferenceMedia(Kind.IMAGE, media_server.file_url("portrait.png"), "png")
    ]
    built = build_request(GenerationSpec("seedance-20", prompt, references, **fields), shape=shape)
    assert built.ok, built.errors
    return built.payload


def wait_until_finished(client, task_id, timeout=10.0):
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = client.record_info(task_id)
        if not seen or seen[-1] != info.status:
            seen.append(info.status)
        if info.is_finished:
            return info, seen
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} still {seen[-1]} after {timeout} s")


def test_it_generates_a_playable_video_from_waiting_to_success(client, media_server):
    task_id = client.create_task(payload(media_server, duration=4, aspect_ratio="9:16"))

    info, seen = wait_until_finished(client, task_id)

    assert seen == [TaskStatus.WAITING, TaskStatus.GENERATING, TaskStatus.SUCCESS]
    assert info.credits_used == credits_for("seedance-20", 4) == 160
    assert info.model == "seedance-20"
    assert info.create_time < info.complete_time
    [output] = info.outputs
    assert (output.width, output.height) == (180, 320)
    video = httpx.get(output.url)
    assert video.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(video.content)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert (stream.width, stream.height) == (180, 320)
        assert container.duration / av.time_base == pytest.approx(4, abs=0.6)


def test_it_serves_byte_ranges_of_outputs(client, media_server):
    info, _ = wait_until_finished(client, client.create_task(payload(media_server)))
    whole = httpx.get(info.outputs[0].url).content
    part = httpx.get(info.outputs[0].url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == whole[10:20]


def test_it_charges_the_balance_and_refunds_failed_tasks(client, sim, media_server):
    sim.control(balance=1000)
    task_id = client.create_task(payload(media_server, "@image1 does something forbidden"))
    assert sim.state()["settings"]["balance"] == 800

    info, _ = wait_until_finished(client, task_id)

    assert (info.status, info.error_code) == (TaskStatus.FAIL, "2038")
    assert info.credits_used == 200
    assert sim.state()["settings"]["balance"] == 1000


def test_it_refuses_a_wrong_api_key(sim, media_server):
    client = KinoviClient(sim.base_url, "wrong-secret-key")
    with client, pytest.raises(AuthenticationFailed) as caught:
        client.create_task(payload(media_server))
    assert caught.value.retryable is False
    assert "wrong-secret-key" not in str(caught.value)


def test_it_answers_400_for_requests_breaking_the_rules(client, media_server):
    body = payload(media_server, shape="typed")
    body["inputs"]["imageUrls"] *= 10
    body["inputs"]["prompt"] = "@video1 dances"
    with pytest.raises(InvalidRequest) as caught:
        client.create_task(body)
    assert caught.value.message.startswith("Invalid inputs for model: ")
    assert "You chose 10 images; Seedance 2.0 takes at most 9." in caught.value.message
    assert "@video1" in caught.value.message
    assert [path for path, _ in caught.value.errors] == ["inputs.prompt", "inputs.imageUrls"]


def test_it_counts_images_in_urls_once_it_has_fetched_them(client, sim, media_server):
    # `urls` doesn't say which entries are images: only more than 9 + 3 is surely wrong.
    body = payload(media_server)
    body["inputs"]["urls"] *= 13
    with pytest.raises(InvalidRequest, match="You chose 13 images and videos"):
        client.create_task(body)
    body["inputs"]["urls"] = body["inputs"]["urls"][:10]
    body["inputs"]["prompt"] = "@video1 dances"
    info, _ = wait_until_finished(client, client.create_task(body))
    assert (info.status, info.error_code) == (TaskStatus.FAIL, "InvalidParameter")
    assert info.error_message == (
        "The prompt mentions @video1, but there are no videos. "
        "You chose 10 images; Seedance 2.0 takes at most 9."
    )


def test_it_answers_402_without_enough_credits(client, sim, media_server):
    sim.control(balance=199)
    with pytest.raises(InsufficientCredits) as caught:
        client.create_task(payload(media_server))
    assert (caught.value.required, caught.value.available) == (200, 199)
    assert sim.state()["tasks"] == {}


def test_it_limits_unfinished_tasks(client, sim, media_server):
    sim.control(concurrency_limit=1, waiting_seconds=5)
    client.create_task(payload(media_server))
    with pytest.raises(ConcurrencyLimit) as caught:
        client.create_task(payload(media_server))
    assert (caught.value.limit, caught.value.current) == (1, 1)
    assert caught.value.retryable is True


def test_it_forces_429s_on_request(client, sim, media_server):
    sim.control(force_429=True)
    with pytest.raises(ConcurrencyLimit):
        client.create_task(payload(media_server))
    sim.control(force_429=False)
    assert client.create_task(payload(media_server)).startswith("task_")


def test_it_answers_500s_at_the_error_rate(client, sim, media_server):
    sim.control(error_rate=1.0)
    with pytest.raises(ServerError) as caught:
        client.create_task(payload(media_server))
    assert (caught.value.status_code, caught.value.retryable) == (500, True)
    assert sim.state()["tasks"] == {}


def test_it_answers_slowly_when_asked(client, sim, media_server):
    sim.control(delay_seconds=0.4)
    started = time.monotonic()
    client.create_task(payload(media_server))
    assert time.monotonic() - started >= 0.4


def test_it_times_out_create_and_read_as_answer_lost(sim, media_server):
    sim.control(timeout_rate=1.0, hang_seconds=2)
    with KinoviClient(sim.base_url, sim.api_key, timeout=httpx.Timeout(0.3, connect=1)) as client:
        with pytest.raises(AnswerLost) as created:
            client.create_task(payload(media_server))
        with pytest.raises(AnswerLost) as read:
            client.record_info("task_0")
    assert created.value.retryable is False
    assert read.value.retryable is True
    assert sim.state()["tasks"] == {}


def test_it_can_create_the_task_and_lose_the_answer(sim, media_server):
    sim.control(lost_answer_rate=1.0, hang_seconds=0.3)
    client = KinoviClient(sim.base_url, sim.api_key)
    with client, pytest.raises(AnswerLost) as caught:
        client.create_task(payload(media_server))
    assert caught.value.retryable is False
    assert sum(sim.state()["tasks"].values()) == 1


def closed_port() -> int:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        return unused.getsockname()[1]


def test_it_tells_never_sent_from_answer_lost():
    client = KinoviClient(f"http://127.0.0.1:{closed_port()}/api/v1", "k")
    with client, pytest.raises(RequestNotSent) as caught:
        client.record_info("task_1")
    assert caught.value.retryable is True


def test_it_reports_a_header_h11_refuses_as_never_sent(client, sim, media_server):
    # What a key with a trailing newline did before KinoviClient stripped it: h11 refuses
    # the header before anything is sent, and its exception quotes the header.
    client._http.headers["Authorization"] = f"Bearer {sim.api_key}\n"
    with pytest.raises(RequestNotSent) as caught:
        client.create_task(payload(media_server))
    assert caught.value.retryable is True
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert sim.api_key not in "".join(traceback.format_exception(caught.value))
    assert sim.state()["tasks"] == {}


def test_it_strips_a_key_read_with_its_newline(sim, media_server):
    with KinoviClient(sim.base_url, f"{sim.api_key}\n") as client:
        assert client.create_task(payload(media_server)).startswith("task_")


@pytest.mark.parametrize(
    "body",
    [
        {
            "model": "seedance-20",
            "inputs": {"mode": "reference", "prompt": "x", "urls": [], "duration": "9" * 5000},
        },
        b"[" * 100_000 + b"]" * 100_000,
        b'{"model": "seedance-20", "inputs": ' + b"9" * 5000 + b"}",
    ],
    ids=["duration-too-long", "nested-too-deeply", "integer-too-long"],
)
def test_it_answers_400_to_bodies_python_cannot_read(sim, body):
    # These used to kill the handler thread: the connection dropped without an answer.
    answer = {"json": body} if isinstance(body, dict) else {"content": body}
    headers = {"Authorization": f"Bearer {sim.api_key}"}
    response = httpx.post(f"{sim.base_url}/jobs/createTask", headers=headers, **answer)
    assert response.status_code == 400
    assert response.json()["message"]
    assert sim.state()["tasks"] == {}


def test_it_reports_unknown_tasks(client):
    with pytest.raises(TaskNotFound):
        client.record_info("task_does_not_exist")


def test_it_fails_a_task_whose_reference_cannot_be_fetched(client, media_server):
    references = [
        ReferenceMedia(Kind.IMAGE, media_server.file_url("portrait.png"), "png"),
        ReferenceMedia(Kind.IMAGE, media_server.file_url("missing.png"), "png"),
    ]
    for shape, name in (("urls", "Reference 2"), ("typed", "Reference image 2")):
        task_id = client.create_task(
            payload(media_server, "@image1 @image2", references, shape=shape)
        )
        info, _ = wait_until_finished(client, task_id)
        assert (info.status, info.error_code) == (TaskStatus.FAIL, "asset_review_failed")
        assert info.error_message == f"{name} could not be fetched: HTTP 404"


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ("urls", "Reference 1 is not a JPEG, PNG or WebP image or an MP4 video."),
        ("typed", "Reference image 1 is not a JPEG, PNG or WebP image."),
    ],
)
def test_it_fails_a_reference_that_is_not_an_image(client, media_server, shape, message):
    references = [ReferenceMedia(Kind.IMAGE, media_server.file_url("not-an-image.png"), "png")]
    info, _ = wait_until_finished(
        client, client.create_task(payload(media_server, "@image1", references, shape=shape))
    )
    assert info.error_code == "asset_review_failed"
    assert info.error_message == message


def test_it_tells_images_from_videos_by_their_bytes_not_their_urls(client, sim, media_server):
    # A PNG at an address ending in .mp4, an MP4 at a signed address without extension.
    directory = media_server.directory
    shutil.copy(directory / "portrait.png", directory / "still.mp4")
    shutil.copy(directory / "dance.mp4", directory / "clip-7f3a")
    still = ReferenceMedia(Kind.IMAGE, media_server.file_url("still.mp4"), "png")
    clip = ReferenceMedia(Kind.VIDEO, media_server.file_url("clip-7f3a") + "?sig=x", "mp4", 2.0)
    task_id = client.create_task(payload(media_server, "@image1 moves like @video1", [still, clip]))
    assert wait_until_finished(client, task_id)[0].status == TaskStatus.SUCCESS
    assert [(r["sentIn"], r["fetchedKind"]) for r in sim.received(task_id)["references"]] == [
        ("urls", "image"),
        ("urls", "video"),
    ]

    body = payload(media_server, "@image1 moves like @video1", [still, clip])
    body["inputs"]["prompt"] = "@image2 moves like @video1"  # there is one image only
    info, _ = wait_until_finished(client, client.create_task(body))
    assert (info.error_code, info.error_message) == (
        "InvalidParameter",
        "The prompt mentions @image2, but there is only one image.",
    )


def _png_claiming(width, height):
    """A tiny PNG whose header claims `width` x `height` pixels."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1024))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("side", [100_000, 12_000])  # over twice Pillow's limit, and just over
def test_it_fails_a_decompression_bomb_as_a_review_failure(client, media_server, side):
    (media_server.directory / f"bomb-{side}.png").write_bytes(_png_claiming(side, side))
    bomb = ReferenceMedia(Kind.IMAGE, media_server.file_url(f"bomb-{side}.png"), "png")
    info, _ = wait_until_finished(
        client, client.create_task(payload(media_server, "@image1", [bomb]))
    )
    assert (info.status, info.error_code) == (TaskStatus.FAIL, "asset_review_failed")
    assert (
        info.error_message
        == "Reference image 1 has too many pixels; at most 89,478,485 are accepted."
    )


@pytest.mark.parametrize("shape", ["urls", "typed"])
def test_it_receives_the_references_in_each_request_shape(client, sim, media_server, shape):
    image = ReferenceMedia(Kind.IMAGE, media_server.file_url("portrait.png"), "png")
    dance = ReferenceMedia(Kind.VIDEO, media_server.file_url("dance.mp4"), "mp4", 2.0)
    beat = ReferenceMedia(Kind.AUDIO, media_server.file_url("beat.wav"), "wav", 1.0)
    body = payload(
        media_server, "@image1 @video1 @audio1", [beat, dance, image], shape=shape, upscale_4k=True
    )
    task_id = client.create_task(body)
    info, _ = wait_until_finished(client, task_id)
    assert info.status == TaskStatus.SUCCESS
    # The reference video's tier (48/s at 720p) plus the upscale (28/s): 380 credits, in
    # `urls` too, where only the fetched bytes tell there is a video.
    assert info.credits_used == credits_for(
        "seedance-20", 5, upscale_4k=True, has_video_reference=True
    )
    assert info.credits_used == 380
    received = sim.received(task_id)
    assert received["shape"] == shape and received["upscale4k"] is True
    assert received["outputResolution"] == "720p"
    sent = [(r["url"], r["sentIn"], r["fetchedKind"]) for r in received["references"]]
    if shape == "urls":  # the chosen order, audio apart
        assert sent == [
            (dance.url, "urls", "video"),
            (image.url, "urls", "image"),
            (beat.url, "audioUrls", "audio"),
        ]
    else:
        assert sent == [
            (image.url, "imageUrls", "image"),
            (dance.url, "videoUrls", "video"),
            (beat.url, "audioUrls", "audio"),
        ]


def test_it_ignores_fields_it_does_not_know_like_kinovi(client, media_server):
    # References under a name Kinovi doesn't know are ignored: the request has none.
    body = payload(media_server)
    body["inputs"]["images"] = body["inputs"].pop("urls")
    with pytest.raises(InvalidRequest, match=r"inputs\.urls must be a list of URLs"):
        client.create_task(body)
    body["inputs"]["urls"] = body["inputs"]["images"]
    body["inputs"]["seed"] = 42
    assert wait_until_finished(client, client.create_task(body))[0].status == TaskStatus.SUCCESS


def test_it_measures_videos_and_audio(client, media_server):
    image = ReferenceMedia(Kind.IMAGE, media_server.file_url("portrait.png"), "png")
    dance = ReferenceMedia(Kind.VIDEO, media_server.file_url("dance.mp4"), "mp4")
    beat = ReferenceMedia(Kind.AUDIO, media_server.file_url("beat.wav"), "wav")
    ok = client.create_task(payload(media_server, "@image1 @video1 @audio1", [image, dance, beat]))
    assert wait_until_finished(client, ok)[0].status == TaskStatus.SUCCESS

    long_video = ReferenceMedia(Kind.VIDEO, media_server.file_url("long.mp4"), "mp4")
    too_long = client.create_task(payload(media_server, "@video1", [long_video]))
    info, _ = wait_until_finished(client, too_long)
    assert info.error_code == "InvalidParameter"
    assert info.error_message.startswith("Reference video 1 is 16.0 s long")

    song = ReferenceMedia(Kind.AUDIO, media_server.file_url("song.wav"), "wav")
    two_songs = client.create_task(
        payload(media_server, "@image1 @audio1 @audio2", [image, song, song])
    )
    info, _ = wait_until_finished(client, two_songs)
    assert info.error_code == "InvalidParameter"
    assert "18.0 s long in total" in info.error_message


def test_it_fails_videos_over_15_seconds_together(client, media_server):
    eight = ReferenceMedia(Kind.VIDEO, media_server.file_url("eight.mp4"), "mp4")
    task_id = client.create_task(payload(media_server, "@video1 @video2", [eight, eight]))
    info, _ = wait_until_finished(client, task_id)
    assert (info.status, info.error_code) == (TaskStatus.FAIL, "InvalidParameter")
    assert info.error_message == (
        "The reference videos are 16.0 s long in total; at most 15 s are allowed."
    )
    dance = ReferenceMedia(Kind.VIDEO, media_server.file_url("dance.mp4"), "mp4")
    task_id = client.create_task(payload(media_server, "@video1 @video2", [eight, dance]))
    assert wait_until_finished(client, task_id)[0].status == TaskStatus.SUCCESS


def test_it_fails_a_quicktime_video(client, media_server):
    # FFmpeg reads .mov and .mp4 with one demuxer; the ftyp brand (`qt  `) tells them apart.
    mov = ReferenceMedia(Kind.VIDEO, media_server.file_url("quicktime.mov"), "")
    info, _ = wait_until_finished(
        client, client.create_task(payload(media_server, "@video1", [mov], shape="typed"))
    )
    assert (info.status, info.error_code) == (TaskStatus.FAIL, "asset_review_failed")
    assert info.error_message == "Reference video 1 is not an MP4 video."


def test_it_fails_audio_as_the_only_reference(client, media_server):
    body = {
        "model": "seedance-20",
        "inputs": {
            "urls": [],
            "audioUrls": [media_server.file_url("beat.wav")],
            "prompt": "A scene synced to @audio1",
            "mode": "reference",
        },
    }
    info, _ = wait_until_finished(client, client.create_task(body))
    assert (info.status, info.error_code) == (TaskStatus.FAIL, "InvalidParameter")


def test_it_posts_the_webhook_envelope(client, sim, media_server):
    sim.control(duplicate_webhooks=1)
    body = payload(media_server, callback_url=media_server.webhook_url)
    task_id = client.create_task(body)

    deliveries = media_server.wait_for_webhooks(2)

    assert len(deliveries) == 2
    info = parse_webhook(deliveries[0])
    assert (info.task_id, info.status, info.credits_used) == (task_id, TaskStatus.SUCCESS, 200)
    assert info.outputs == client.record_info(task_id).outputs
    assert sim.state()["webhooks"] == {"delivered": 2}


def test_it_delays_webhooks_when_asked(client, sim, media_server):
    sim.control(webhook_delay_seconds=0.6)
    task_id = client.create_task(payload(media_server, callback_url=media_server.webhook_url))
    wait_until_finished(client, task_id)
    assert media_server.webhooks == []
    assert len(media_server.wait_for_webhooks(1)) == 1


def test_it_survives_an_unreachable_callback(client, sim, media_server):
    body = payload(media_server, callback_url=f"http://127.0.0.1:{closed_port()}/hook")
    info, _ = wait_until_finished(client, client.create_task(body))
    assert info.status == TaskStatus.SUCCESS
    deadline = time.monotonic() + 5
    while sim.state()["webhooks"] != {"failed": 1} and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sim.state()["webhooks"] == {"failed": 1}


def test_it_rejects_unknown_or_invalid_control_settings(sim):
    for settings in [{"no_such_setting": 1}, {"error_rate": 2}, {"balance": "many"}]:
        response = httpx.post(f"{sim.root_url}/_control", json=settings)
        assert response.status_code == 400, settings
    assert sim.state()["settings"]["error_rate"] == 0.0


def test_it_resets_settings_and_tasks(client, sim, media_server):
    start_balance = sim.state()["settings"]["balance"]
    sim.control(error_rate=0.5, balance=5000)
    sim.control(error_rate=0.0)
    client.create_task(payload(media_server))
    state = sim.reset()
    assert state["settings"]["balance"] == start_balance
    assert state["tasks"] == {}


def test_it_keeps_the_api_key_out_of_logs_over_real_http(client, sim, media_server, caplog):
    caplog.set_level(logging.DEBUG)
    info, _ = wait_until_finished(client, client.create_task(payload(media_server)))
    assert info.status == TaskStatus.SUCCESS
    assert "httpcore" in caplog.text
    assert sim.api_key not in caplog.text
