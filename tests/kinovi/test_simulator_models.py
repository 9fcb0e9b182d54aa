"""The simulator honours every model of the catalogue: its limits, resolutions, prices,
the late settle of Seedance 2.5 with a reference video, seeds and last frames."""

import io
import json
import time
from decimal import Decimal

import av
import httpx
import pytest
from PIL import Image

from projects.kinovi.client import InsufficientCredits, InvalidRequest, KinoviClient, TaskStatus
from projects.kinovi.references import Kind
from projects.kinovi.request import GenerationSpec, ReferenceMedia, build_request
from tests.kinovi.conftest import make_mp4
from tests.kinovi.test_contract import wait_until_finished

V25, MINI, V20, FAST = "seedance2-5", "seedance2.0-mini", "seedance-20", "seedance2-fast"


@pytest.fixture
def sim(fresh_kinovi_simulator):
    return fresh_kinovi_simulator


@pytest.fixture
def client(sim):
    with KinoviClient(sim.base_url, sim.api_key) as client:
        yield client


def image(media_server):
    return ReferenceMedia(Kind.IMAGE, media_server.file_url("portrait.png"), "png")


def video(media_server, name="eight.mp4"):
    return ReferenceMedia(Kind.VIDEO, media_server.file_url(name), "mp4")


def body(model, references, prompt="@image1 waves", **fields):
    built = build_request(GenerationSpec(model, prompt, references, **fields))
    assert built.ok, built.errors
    return built.payload


def post(sim, payload):
    headers = {"Authorization": f"Bearer {sim.api_key}"}
    return httpx.post(f"{sim.base_url}/jobs/createTask", json=payload, headers=headers)


def test_it_refuses_a_model_kinovi_does_not_have(sim, media_server):
    payload = body(V20, [image(media_server)]) | {"model": "seedance-2.0"}
    response = post(sim, payload)
    assert (response.status_code, response.json()) == (400, {"message": "Unknown model"})
    assert sim.state()["tasks"] == {}


@pytest.mark.parametrize(
    ("model", "change", "path"),
    [
        (MINI, {"outputResolution": "1080p"}, "inputs.outputResolution"),
        (FAST, {"outputResolution": "4k"}, "inputs.outputResolution"),
        (V25, {"duration": 31}, "inputs.duration"),
        (MINI, {"duration": 16}, "inputs.duration"),
        (V25, {"upscaleResolution": "4k"}, "inputs.upscaleResolution"),
        (V20, {"seed": 2**32}, "inputs.seed"),
        (V25, {"generate_audio": "yes"}, "inputs.generate_audio"),
        (MINI, {"prompt": "@image1 " + "x" * 10_000}, "inputs.prompt"),
    ],
)
def test_it_answers_invalid_inputs_with_the_path_of_each(sim, media_server, model, change, path):
    payload = body(model, [image(media_server)])
    payload["inputs"] |= change
    response = post(sim, payload)
    assert response.status_code == 400
    answer = response.json()
    assert answer["message"] == "Invalid inputs for model"
    assert [error["path"] for error in answer["errors"]] == [path]
    assert sim.state()["tasks"] == {}


def test_it_counts_images_by_the_models_limit(client, sim, media_server):
    twenty = [image(media_server)] * 20
    info, _ = wait_until_finished(client, client.create_task(body(V25, twenty)))
    assert (info.status, info.credits_used) == (TaskStatus.SUCCESS, 295)  # 5 s x 59

    payload = body(V25, twenty)
    payload["inputs"]["imageUrls"] *= 2
    with pytest.raises(InvalidRequest) as caught:
        client.create_task(payload)
    assert caught.value.errors == [
        ("inputs.imageUrls", "You chose 40 images; Seedance 2.5 takes at most 30.")
    ]
    assert caught.value.message == (
        "Invalid inputs for model: You chose 40 images; Seedance 2.5 takes at most 30."
    )


def test_it_refuses_a_typed_model_sent_in_urls(sim, media_server):
    payload = body(V20, [image(media_server)]) | {"model": MINI}
    response = post(sim, payload)
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "inputs.urls"


def test_it_answers_invalid_request_parameters_for_a_malformed_body(sim, media_server):
    payload = body(V25, [image(media_server)]) | {"callBackUrl": "not a url"}
    response = post(sim, payload)
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid request parameters"
    assert post(sim, []).json()["message"] == "Invalid request parameters"


@pytest.mark.parametrize(
    ("model", "fields", "credits", "as_json"),
    [
        (V20, {"resolution": "1080p"}, 450, b'"creditsUsed": 450'),
        (V20, {"resolution": "4k"}, 1000, b'"creditsUsed": 1000'),
        (V20, {"upscale_4k": True}, 340, b'"creditsUsed": 340'),
        (FAST, {"resolution": "480p"}, 70, b'"creditsUsed": 70'),
        (MINI, {"resolution": "480p"}, Decimal("37.5"), b'"creditsUsed": 37.5'),
        (V25, {"resolution": "1080p"}, 717, b'"creditsUsed": 717'),
    ],
)
def test_it_charges_per_model_and_resolution(
    client, sim, media_server, model, fields, credits, as_json
):
    sim.control(balance=10_000)
    task_id = client.create_task(body(model, [image(media_server)], **fields))
    info, _ = wait_until_finished(client, task_id)
    assert (info.status, info.credits_used) == (TaskStatus.SUCCESS, credits)
    raw = httpx.get(
        f"{sim.base_url}/jobs/recordInfo",
        params={"taskId": task_id},
        headers={"Authorization": f"Bearer {sim.api_key}"},
    )
    assert as_json in raw.content  # a JSON number, decimals and all
    assert Decimal(str(sim.state()["settings"]["balance"])) == 10_000 - Decimal(credits)


def test_it_charges_the_reference_video_tier(client, sim, media_server):
    references = [image(media_server), video(media_server)]
    for model, credits in ((V20, 240), (FAST, 170), (MINI, 120)):
        payload = body(model, references, "@image1 moves like @video1")
        info, _ = wait_until_finished(client, client.create_task(payload))
        assert (info.status, info.credits_used) == (TaskStatus.SUCCESS, credits), model


def test_it_answers_402_with_the_decimal_price(client, sim, media_server):
    sim.control(balance=400)
    payload = body(
        V25, [image(media_server), video(media_server)], "@image1 @video1", resolution="1080p"
    )
    response = post(sim, payload)
    assert response.status_code == 402
    assert b'"required": 428.4' in response.content  # 5 s x 85.68, reserved at submit
    with pytest.raises(InsufficientCredits) as caught:
        client.create_task(payload)
    assert (caught.value.required, caught.value.available) == (Decimal("428.4"), 400)
    assert sim.state()["tasks"] == {}


def credits_used(client, task_id):
    return client.record_info(task_id).credits_used


def test_seedance_25_with_a_reference_video_settles_after_success(client, sim, media_server):
    sim.control(balance=10_000, settle_delay_seconds=0.8)
    payload = body(
        V25, [image(media_server), video(media_server)], "@image1 @video1", resolution="1080p"
    )
    task_id = client.create_task(payload)
    assert Decimal(str(sim.state()["settings"]["balance"])) == Decimal("9571.6")

    info, _ = wait_until_finished(client, task_id)
    assert (info.status, info.credits_used) == (TaskStatus.SUCCESS, Decimal("428.4"))

    deadline = time.monotonic() + 5
    while credits_used(client, task_id) == Decimal("428.4") and time.monotonic() < deadline:
        time.sleep(0.05)
    # (8 reference seconds + 5) x 85.68, and the balance paid the difference.
    assert credits_used(client, task_id) == Decimal("1113.84")
    assert Decimal(str(sim.state()["settings"]["balance"])) == Decimal("8886.16")


def make_video_of_half_seconds(path, halves):
    """An MP4 of `halves` half seconds (2 frames a second)."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=2)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for number in range(halves):
            picture = Image.new("RGB", (32, 32), (number * 10 % 255, 0, 0))
            container.mux(stream.encode(av.VideoFrame.from_image(picture)))
        container.mux(stream.encode(None))


def test_the_late_charge_rounds_reference_seconds_up(client, sim, media_server):
    sim.control(balance=100_000, settle_delay_seconds=0)
    make_video_of_half_seconds(media_server.directory / "two-and-a-half.mp4", 5)
    payload = body(V25, [video(media_server, "two-and-a-half.mp4")], "@video1")
    task_id = client.create_task(payload)
    assert wait_until_finished(client, task_id)[0].status == TaskStatus.SUCCESS
    deadline = time.monotonic() + 5
    while credits_used(client, task_id) == 5 * 35 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert credits_used(client, task_id) == (3 + 5) * 35  # 2.5 s counts as 3


def test_reference_videos_over_30_s_together_fail_and_are_refunded(client, sim, media_server):
    sim.control(balance=10_000)
    make_mp4(media_server.directory / "twenty.mp4", 20)
    twenty = video(media_server, "twenty.mp4")
    info, _ = wait_until_finished(
        client, client.create_task(body(V25, [twenty, twenty], "@video1 @video2"))
    )
    assert (info.status, info.error_code) == (TaskStatus.FAIL, "InvalidParameter")
    assert info.error_message == (
        "The reference videos are 40.0 s long in total; at most 30 s are allowed."
    )
    assert sim.state()["settings"]["balance"] == 10_000


def test_seedance_25_takes_longer_reference_videos_but_not_shorter_ones(client, sim, media_server):
    sim.control(settle_delay_seconds=0)
    make_mp4(media_server.directory / "twenty.mp4", 20)
    make_mp4(media_server.directory / "one.mp4", 1)
    info, _ = wait_until_finished(
        client, client.create_task(body(V25, [video(media_server, "twenty.mp4")], "@video1"))
    )
    assert info.status == TaskStatus.SUCCESS
    info, _ = wait_until_finished(
        client, client.create_task(body(V25, [video(media_server, "one.mp4")], "@video1"))
    )
    assert (info.status, info.error_code) == (TaskStatus.FAIL, "InvalidParameter")
    assert info.error_message == "Reference video 1 is 1.0 s long; each video must be at least 2 s."
    info, _ = wait_until_finished(
        client, client.create_task(body(V20, [video(media_server, "twenty.mp4")], "@video1"))
    )
    assert info.error_message == "Reference video 1 is 20.0 s long; each video can be at most 15 s."


def test_it_echoes_the_seed_and_serves_the_last_frame(client, sim, media_server):
    payload = body(V20, [image(media_server)], seed=42, generate_audio=False, high_bitrate=True)
    task_id = client.create_task(payload)
    info, _ = wait_until_finished(client, task_id)
    assert info.seed == 42
    received = sim.received(task_id)
    assert (received["seed"], received["generateAudio"], received["highBitrate"]) == (
        42,
        False,
        True,
    )
    frame = httpx.get(info.last_frame_url)
    assert frame.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(frame.content)) as picture:
        assert picture.size == (info.outputs[0].width, info.outputs[0].height)

    random_seeds = set()
    for _ in range(2):
        info, _ = wait_until_finished(client, client.create_task(body(V20, [image(media_server)])))
        assert 0 <= info.seed <= 4_294_967_295
        random_seeds.add(info.seed)
    assert len(random_seeds) == 2


def test_the_webhook_carries_the_seed(client, sim, media_server):
    payload = body(MINI, [image(media_server)], seed=7, callback_url=media_server.webhook_url)
    client.create_task(payload)
    [delivery] = media_server.wait_for_webhooks(1)
    data = json.loads(delivery)["data"]
    assert (data["output"][0]["seed"], data["creditsUsed"]) == (7, 100)


def test_a_balance_can_be_set_in_decimal_credits(sim):
    assert sim.control(balance=1000.5)["settings"]["balance"] == 1000.5
    assert sim.control(balance="12.25")["settings"]["balance"] == 12.25
    response = httpx.post(f"{sim.root_url}/_control", json={"balance": "0.0001"})
    assert response.status_code == 400
