"""Upload benchmark: the app's upload path vs a plain boto3 upload_fileobj.

Starts moto's S3 server, writes a 100 MB MP4 (a 1 s clip padded with a `free`
box of random bytes), then, each in a fresh process, uploads it
  - through ReferenceAsset.objects.create_from_upload (sniff, hash, probe,
    poster frame, stream to S3Storage), configured from STORAGE_* variables
    exactly as settings.py does in production, and
  - with boto3's upload_fileobj and its default transfer settings.
Prints peak RSS growth and throughput of both, and PASS/FAIL against the
targets: app RSS growth <= 32 MB, app throughput >= 80% of boto3's.

Each is run --runs times (7), the two in turn; the medians are compared.

Run from the repository root:  .venv/bin/python bench/upload_to_s3.py [--mb 100] [--runs 7]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MB = 2**20
WARM_UP = ROOT / "tests/fixtures/media/one_second.mp4"
RSS_TARGET_MB = 32
THROUGHPUT_TARGET = 0.8


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> None:
    # Linux: writing 5 to clear_refs resets VmHWM to the current RSS.
    Path("/proc/self/clear_refs").write_text("5")


def _measure(run) -> dict:
    _reset_peak()
    before = _status_kb("VmRSS")
    start = time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rss_growth_mb": (_status_kb("VmHWM") - before) / 1024}


def child_app(path: Path, endpoint: str, bucket: str, run_id: int) -> dict:
    from tests.plugins.storage import S3_KEY_ID, S3_REGION, S3_SECRET

    var_dir = tempfile.mkdtemp(prefix="bench-var-")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "kinovi_web.settings",
            "VAR_DIR": var_dir,
            "STORAGE_BUCKET": bucket,
            "STORAGE_ENDPOINT_URL": endpoint,
            "STORAGE_ACCESS_KEY_ID": S3_KEY_ID,
            "STORAGE_SECRET_ACCESS_KEY": S3_SECRET,
            "STORAGE_REGION": S3_REGION,
        }
    )
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import UploadedFile
    from django.core.management import call_command

    from projects.models import ReferenceAsset, Team

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user(f"bench{run_id}")
    team = Team.objects.create(name="Bench", slug=f"bench{run_id}")
    team.add_member(user)

    class DiskUpload(UploadedFile):
        """What Django hands the view for a large upload: a file on disk."""

        def __init__(self, file_path: Path):
            super().__init__(
                file_path.open("rb"),
                file_path.name,
                "application/octet-stream",
                file_path.stat().st_size,
            )
            self.path = str(file_path)

        def temporary_file_path(self) -> str:
            return self.path

    # Warm up as a running server is: codecs, encoders and boto3's transfer
    # machinery loaded by an earlier request are not the upload's memory.
    ReferenceAsset.objects.create_from_upload(DiskUpload(WARM_UP), owner=user, team=team)
    upload = DiskUpload(path)
    result = {}

    def run():
        asset, created = ReferenceAsset.objects.create_from_upload(upload, owner=user, team=team)
        assert created and asset.size_bytes == path.stat().st_size
        result["url"] = asset.url

    result.update(_measure(run))
    return result


def child_boto3(path: Path, endpoint: str, bucket: str, run_id: int) -> dict:
    from tests.plugins.storage import s3_client

    client = s3_client(endpoint)
    with WARM_UP.open("rb") as f:  # the same warm-up as the app's
        client.upload_fileobj(f, bucket, f"bench/warm-up-{run_id}.mp4")

    def run():
        with path.open("rb") as f:
            client.upload_fileobj(
                f,
                bucket,
                f"bench/boto3-{run_id}.mp4",
                ExtraArgs={"ACL": "public-read", "ContentType": "video/mp4"},
            )

    return _measure(run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--child", choices=["app", "boto3"], help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    parser.add_argument("--bucket", help=argparse.SUPPRESS)
    parser.add_argument("--run-id", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        child = child_app if args.child == "app" else child_boto3
        print(json.dumps(child(Path(args.file), args.endpoint, args.bucket, args.run_id)))
        return

    from tests.fixtures.make_fixtures import write_padded_mp4
    from tests.plugins.storage import S3_BUCKET, moto_server, s3_client

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, moto_server() as endpoint:
        s3_client(endpoint).create_bucket(Bucket=S3_BUCKET)
        path = Path(tmp) / "reference.mp4"
        write_padded_mp4(ROOT / "tests/fixtures/media/one_second.mp4", path, args.mb * MB)
        print(f"file: {args.mb} MB MP4 on disk; S3: moto server at {endpoint}")
        results: dict[str, list[dict]] = {"app": [], "boto3": []}
        for run_id in range(args.runs):
            # One of each in turn, first one then the other, so a busy moment of the
            # shared machine (or a warmer page cache) favours neither.
            for mode in ("app", "boto3") if run_id % 2 == 0 else ("boto3", "app"):
                out = subprocess.run(
                    [
                        sys.executable, __file__, "--child", mode, "--file", str(path),
                        "--endpoint", endpoint, "--bucket", S3_BUCKET, "--run-id", str(run_id),
                    ],
                    capture_output=True, text=True, cwd=ROOT,
                )  # fmt: skip
                if out.returncode:
                    sys.exit(f"{mode} run failed:\n{out.stderr}")
                results[mode].append(json.loads(out.stdout.strip().splitlines()[-1]))

    summary = {}
    for mode, runs in results.items():
        seconds = statistics.median(r["seconds"] for r in runs)
        summary[mode] = {
            "throughput": args.mb / seconds,
            "rss": max(r["rss_growth_mb"] for r in runs),
        }
        print(
            f"{mode:6} median {seconds:6.2f} s  {args.mb / seconds:7.1f} MB/s   "
            f"peak RSS growth {summary[mode]['rss']:6.1f} MB (worst of {len(runs)} runs)"
        )
    ratio = summary["app"]["throughput"] / summary["boto3"]["throughput"]
    rss_ok = summary["app"]["rss"] <= RSS_TARGET_MB
    speed_ok = ratio >= THROUGHPUT_TARGET
    print(
        f"app RSS growth {summary['app']['rss']:.1f} MB <= {RSS_TARGET_MB} MB: "
        f"{'PASS' if rss_ok else 'FAIL'}"
    )
    print(
        f"app throughput {ratio:.0%} of boto3 >= {THROUGHPUT_TARGET:.0%}: "
        f"{'PASS' if speed_ok else 'FAIL'}"
    )
    sys.exit(0 if rss_ok and speed_ok else 1)


if __name__ == "__main__":
    main()
