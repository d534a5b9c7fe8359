"""Tests for course.fetch against a local HTTP server; no network beyond 127.0.0.1."""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import re
import stat
import subprocess
import sys
import tarfile
import threading
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from course import fetch as F
from course.fetch import extract, staging

ROOT = Path(__file__).resolve().parent.parent
PAYLOAD = b"course fetch test payload\n" * 200
OTHER = b"some other bytes"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def files_under(path: Path) -> list[Path]:
    """Everything under ``path`` (files, dirs, links); [] if it does not exist."""
    return sorted(path.rglob("*")) if path.exists() else []


# ------------------------------------------------------------------ local server


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.files`` under /files/<name>; /cut/<name> drops mid-body."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.server.counts[self.path] += 1
        route, _, name = self.path.lstrip("/").partition("/")
        body = self.server.files.get(name)
        if body is None or route not in ("files", "cut"):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        # The cut route promises more bytes than it sends, then hangs up.
        length = len(body) + (1000 if route == "cut" else 0)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.write(body if route == "files" else body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass  # Keep pytest's output clean.


class Server:
    def __init__(self) -> None:
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.files = {}
        self.httpd.counts = Counter()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def files(self) -> dict[str, bytes]:
        return self.httpd.files

    @property
    def counts(self) -> Counter:
        return self.httpd.counts

    def url(self, name: str, route: str = "files") -> str:
        return f"{self.base}/{route}/{name}"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch):
    # requests honours proxy variables; a proxy must never see the 127.0.0.1 calls.
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.lower(), raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    srv = Server()
    srv.files["data.bin"] = PAYLOAD
    thread = threading.Thread(target=srv.httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.httpd.shutdown()
        srv.httpd.server_close()
        thread.join(timeout=5)


# ------------------------------------------------------------------- fetch_file


@pytest.mark.parametrize(
    "known_hash",
    [sha256(PAYLOAD), "sha256:" + sha256(PAYLOAD), "md5:" + md5(PAYLOAD)],
    ids=["sha256", "sha256-prefixed", "md5"],
)
def test_fetch_file_caches_and_does_not_redownload(server, tmp_path, known_hash):
    directory = tmp_path / "cache" / "toy"
    url = server.url("data.bin")
    for _ in range(2):
        path = F.fetch_file(url, known_hash, directory, "data.bin", progressbar=False)
        assert path == directory / "data.bin"
        assert path.read_bytes() == PAYLOAD
    assert server.counts["/files/data.bin"] == 1
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
    # Only the final file: no temp file, no scratch directory.
    assert files_under(tmp_path / "cache") == [directory, directory / "data.bin"]


def test_fetch_file_replaces_a_corrupted_cached_file(server, tmp_path):
    (tmp_path / "data.bin").write_bytes(b"bit rot")
    path = F.fetch_file(
        server.url("data.bin"), sha256(PAYLOAD), tmp_path, "data.bin", False
    )
    assert path.read_bytes() == PAYLOAD
    assert server.counts["/files/data.bin"] == 1


@pytest.mark.parametrize(
    "expected, actual",
    [
        ("0" * 64, sha256(PAYLOAD)),
        ("md5:" + "0" * 32, "md5:" + md5(PAYLOAD)),
    ],
    ids=["sha256", "md5"],
)
@pytest.mark.parametrize("dir_exists", [False, True])
def test_wrong_hash_raises_and_leaves_nothing(
    server, tmp_path, expected, actual, dir_exists
):
    cache = tmp_path / "cache"
    directory = cache / "toy"
    if dir_exists:
        directory.mkdir(parents=True)
    url = server.url("data.bin")
    with pytest.raises(F.HashMismatchError) as info:
        F.fetch_file(url, expected, directory, "data.bin", progressbar=False)
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    for part in (url, expected, actual):
        assert part in message
    assert (info.value.expected, info.value.actual) == (expected, actual)
    # No file at all; only a directory that existed before may remain.
    assert files_under(cache) == ([directory] if dir_exists else [])


@pytest.mark.parametrize(
    "route, name",
    [("cut", "data.bin"), ("files", "missing.bin")],
    ids=["cut-mid-transfer", "http-404"],
)
def test_failed_transfer_leaves_nothing_and_rerun_succeeds(
    server, tmp_path, route, name
):
    cache = tmp_path / "cache"
    with pytest.raises(F.DownloadError, match=re.escape(server.url(name, route))):
        F.fetch_file(server.url(name, route), sha256(PAYLOAD), cache, "data.bin", False)
    assert files_under(cache) == []
    path = F.fetch_file(server.url("data.bin"), sha256(PAYLOAD), cache, "data.bin")
    assert path.read_bytes() == PAYLOAD
    assert files_under(cache) == [path]


@pytest.mark.skipif(os.name != "posix", reason="stale-PID cleanup is POSIX-only")
def test_leftovers_of_a_killed_process_are_removed(server, tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    stale = tmp_path / f"{staging.PREFIX}{proc.pid}-abc"
    stale.mkdir()
    (stale / "tmp123").write_bytes(b"partial")
    F.fetch_file(server.url("data.bin"), sha256(PAYLOAD), tmp_path, "data.bin", False)
    assert not stale.exists()


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"url": "ftp://x/y"}, ValueError),
        ({"sha256": "abc"}, ValueError),
        ({"sha256": "sha1:" + "0" * 40}, ValueError),
        ({"sha256": None}, ValueError),
        ({"filename": "../x"}, ValueError),
        ({"filename": ""}, ValueError),
        ({"progressbar": "yes"}, TypeError),
    ],
)
def test_fetch_file_validates_arguments(tmp_path, kwargs, error):
    args = {
        "url": "http://127.0.0.1:9/x",
        "sha256": "0" * 64,
        "directory": tmp_path / "d",
        "filename": "x",
        "progressbar": False,
    }
    args.update(kwargs)
    with pytest.raises(error, match=r"Expected .*\. Received: \w+="):
        F.fetch_file(**args)
    assert not (tmp_path / "d").exists()


# ----------------------------------------------------------------- safe_extract


def _tar_member(name, data=b"", kind=tarfile.REGTYPE, link=""):
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.size = kind, link, len(data)
    return info, io.BytesIO(data) if data else None


def make_tar(path: Path, members) -> Path:
    mode = "w:gz" if path.name.endswith(("gz", "tgz")) else "w"
    with tarfile.open(path, mode) as tar:
        for args in members:
            tar.addfile(*_tar_member(*args))
    return path


def make_zip(path: Path, members) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data, *link in members:
            info = zipfile.ZipInfo(name)
            if link:  # A unix symlink: mode in the high bits, target as content.
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                data = link[0].encode()
            zf.writestr(info, data)
    return path


GOOD = ("good.txt", b"harmless")
MALICIOUS = [
    ("tar.gz", [GOOD, ("../evil.txt", b"x")], "../evil.txt"),
    ("tar.gz", [GOOD, ("/abs/path.txt", b"x")], "/abs/path.txt"),
    ("tar.gz", [GOOD, ("a/../../evil.txt", b"x")], "a/../../evil.txt"),
    ("tar.gz", [GOOD, ("link", b"", tarfile.SYMTYPE, "../../outside")], "link"),
    ("tar", [GOOD, ("abs", b"", tarfile.SYMTYPE, "/etc/passwd")], "abs"),
    ("tgz", [GOOD, ("hard", b"", tarfile.LNKTYPE, "../outside")], "hard"),
    ("tar", [GOOD, ("d", b"", tarfile.SYMTYPE, "."), ("d/x", b"x")], "d/x"),
    ("tar", [GOOD, ("dev", b"", tarfile.CHRTYPE)], "dev"),
    ("tar", [GOOD, ("fifo", b"", tarfile.FIFOTYPE)], "fifo"),
    ("zip", [GOOD, ("../evil.txt", b"x")], "../evil.txt"),
    ("zip", [GOOD, ("/abs/path.txt", b"x")], "/abs/path.txt"),
    ("zip", [GOOD, ("..\\evil.txt", b"x")], "..\\evil.txt"),
    ("zip", [GOOD, ("link", b"", "../../outside")], "link"),
]


@pytest.mark.parametrize(
    "ext, members, bad", MALICIOUS, ids=[f"{m[0]}:{m[2]}" for m in MALICIOUS]
)
def test_safe_extract_refuses_malicious_archives(tmp_path, ext, members, bad):
    make = make_zip if ext == "zip" else make_tar
    archive = make(tmp_path / f"bad.{ext}", members)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ValueError, match=re.escape(repr(bad))):
        F.safe_extract(archive, out / "target")
    assert files_under(out) == []  # Nothing extracted, no scratch dir left.
    assert sorted(p.name for p in tmp_path.iterdir()) == [archive.name, "out"]


@pytest.mark.parametrize("ext", ["tar", "tar.gz", "tgz", "zip"])
def test_safe_extract_extracts_a_clean_archive(tmp_path, ext):
    members = [("top.txt", b"top"), ("sub/", b""), ("sub/inner.bin", b"\x00\x01")]
    if ext == "zip":
        archive = make_zip(tmp_path / "ok.zip", members)
    else:
        members[1] = ("sub", b"", tarfile.DIRTYPE)
        members.append(("sub/link", b"", tarfile.SYMTYPE, "../top.txt"))
        archive = make_tar(tmp_path / f"ok.{ext}", members)
    target = tmp_path / "out" / "data"
    paths = F.safe_extract(archive, target)
    expected = {"top.txt", "sub", "sub/inner.bin"} | (
        set() if ext == "zip" else {"sub/link"}
    )
    assert {p.relative_to(target).as_posix() for p in paths} == expected
    assert (target / "top.txt").read_bytes() == b"top"
    assert (target / "sub" / "inner.bin").read_bytes() == b"\x00\x01"
    if ext != "zip":
        assert (target / "sub" / "link").read_bytes() == b"top"
    assert sorted(p.name for p in target.parent.iterdir()) == ["data"]


@pytest.mark.parametrize(
    "archive_name, target_exists, error",
    [("x.rar", False, ValueError), ("x.tar", True, FileExistsError)],
)
def test_safe_extract_rejects_bad_arguments(
    tmp_path, archive_name, target_exists, error
):
    archive = make_tar(tmp_path / archive_name, [GOOD])
    target = tmp_path / "target"
    if target_exists:
        target.mkdir()
    with pytest.raises(error, match="Expected"):
        F.safe_extract(archive, target)


# ------------------------------------------------------------- fetch, CLI, cache


@pytest.fixture
def toy(server, monkeypatch):
    """Registers datasets served by the local server: a plain file and an archive."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.addfile(*_tar_member("batches/data_batch_1.bin", b"\x07" * 64))
    server.files["toy.tar.gz"] = buf.getvalue()
    entries = [
        F.DatasetEntry(
            "toy",
            "a toy file",
            "test",
            (F.RemoteFile(server.url("data.bin"), sha256(PAYLOAD), "toy.bin"),),
        ),
        F.DatasetEntry(
            "toy_archive",
            "a toy archive",
            "test",
            (
                F.RemoteFile(
                    server.url("toy.tar.gz"), sha256(buf.getvalue()), "toy.tar.gz"
                ),
            ),
            extract_dir="extracted",
        ),
        F.DatasetEntry(
            "toy_bad",
            "a toy file with a wrong hash",
            "test",
            (F.RemoteFile(server.url("data.bin"), "f" * 64, "bad.bin"),),
        ),
    ]
    for entry in entries:
        monkeypatch.setitem(F.REGISTRY, entry.name, entry)
    return server


def test_fetch_extracts_once_and_reports_cached(toy, tmp_path):
    assert not F.is_cached("toy_archive", tmp_path)
    for _ in range(2):
        path = F.fetch("toy_archive", tmp_path, progressbar=False)
    assert path == F.dataset_dir("toy_archive", tmp_path) == tmp_path / "toy_archive"
    data = path / "extracted" / "batches" / "data_batch_1.bin"
    assert data.read_bytes() == b"\x07" * 64
    assert (path / "toy.tar.gz").is_file()
    assert F.is_cached("toy_archive", tmp_path)
    assert toy.counts["/files/toy.tar.gz"] == 1


@pytest.mark.parametrize("how", ["argument", "env"])
def test_cli_honours_cache_dir(toy, tmp_path, monkeypatch, capsys, how):
    cache = tmp_path / "my cache"
    argv = ["toy", "--no-progress"]
    if how == "argument":
        argv += ["--cache-dir", str(cache)]
    else:
        monkeypatch.setenv(F.CACHE_ENV, str(cache))
    assert F.main(argv) == 0
    assert (cache / "toy" / "toy.bin").read_bytes() == PAYLOAD
    assert str(cache / "toy") in capsys.readouterr().out
    assert F.is_cached("toy", cache)


def test_default_cache_dir_rule(monkeypatch, tmp_path):
    monkeypatch.setenv(F.CACHE_ENV, str(tmp_path))
    assert F.resolve_cache_dir() == tmp_path
    monkeypatch.delenv(F.CACHE_ENV)
    assert F.resolve_cache_dir() == Path.home() / ".cache" / "course"
    assert F.resolve_cache_dir("~/x") == Path.home() / "x"
    with pytest.raises(TypeError, match="Received: cache_dir=3"):
        F.resolve_cache_dir(3)


def test_cli_download_error_returns_1(toy, tmp_path, capsys):
    assert F.main(["toy_bad", "--cache-dir", str(tmp_path), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "f" * 64 in err and sha256(PAYLOAD) in err
    assert "python -m course.fetch toy_bad" in err  # works without a checkout
    assert files_under(tmp_path) == []


@pytest.mark.parametrize(
    "argv",
    [["nope"], ["mnist", "nope"], []],
    ids=["unknown", "one-unknown", "none"],
)
def test_cli_usage_errors_exit_2(tmp_path, capsys, argv):
    assert F.main([*argv, "--cache-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    if argv:
        assert all(name in err for name in ("mnist", "fashion_mnist", "cifar10"))
    else:
        assert err.startswith("usage: python -m course.fetch ")
    assert files_under(tmp_path) == []  # Validated before any download.


def test_cli_list_in_process(capsys):
    assert F.main(["--list"]) == 0
    out = capsys.readouterr().out
    for name in ("mnist", "fashion_mnist", "cifar10", "flowers"):
        assert re.search(rf"^{name}\s+\d", out, re.MULTILINE)
    # No size is published next to the DSB2018 hash: shown as unknown.
    assert re.search(r"^dsb2018\s+\?\s", out, re.MULTILINE)


@pytest.mark.parametrize(
    "command",
    [[str(ROOT / "data_scripts" / "fetch.py")], ["-m", "course.fetch"]],
    ids=["script", "module"],
)
def test_cli_list_subprocess(command):
    result = subprocess.run(
        [sys.executable, *command, "--list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for name in ("mnist", "fashion_mnist", "cifar10", "flowers", "dsb2018"):
        assert name in result.stdout


def test_fetch_module_does_not_import_keras():
    code = (
        "import sys, course.fetch, course.fetch.__main__; "
        "print(any(m in sys.modules for m in ('keras', 'tensorflow')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


# ---------------------------------------------------------------------- registry

HASH_RE = re.compile(r"^(?:[0-9a-f]{64}|md5:[0-9a-f]{32})$")


@pytest.mark.parametrize("name", sorted(F.REGISTRY))
def test_registry_entry_is_sane(name):
    entry = F.REGISTRY[name]
    assert entry.name == name and entry.description and entry.source
    assert "\n" not in entry.description
    assert entry.files
    filenames = [f.filename for f in entry.files]
    assert len(set(filenames)) == len(filenames)
    for remote in entry.files:
        assert remote.url.startswith("https://")
        assert HASH_RE.match(remote.sha256), remote.sha256
        assert remote.url.rsplit("/", 1)[1] == remote.filename
    if entry.extract_dir is not None:
        assert len(entry.files) == 1
        assert extract.archive_kind(Path(entry.files[0].filename)) in ("tar", "zip")


def test_registry_has_the_course_datasets_without_pickles():
    assert {"mnist", "fashion_mnist", "cifar10", "flowers", "dsb2018"} <= set(
        F.REGISTRY
    )
    urls = [f.url for e in F.REGISTRY.values() for f in e.files]
    hashes = [f.sha256 for e in F.REGISTRY.values() for f in e.files]
    assert len(set(urls)) == len(urls) and len(set(hashes)) == len(hashes)
    assert F.REGISTRY["cifar10"].files[0].filename == "cifar-10-binary.tar.gz"
    assert not any("python" in url or url.endswith(".pkl") for url in urls)


def test_cifar10_download_end_to_end(server, tmp_path, monkeypatch):
    """fetch -> verify -> extract -> data.cifar10 reads what the server sent."""
    import numpy as np

    from course import data
    from course.data import cifar10_binary

    monkeypatch.setattr(cifar10_binary, "CIFAR10_RECORDS_PER_FILE", 2)
    rng = np.random.default_rng(1)
    buf = io.BytesIO()
    names = [*data.CIFAR10_TRAIN_FILES, data.CIFAR10_TEST_FILE]
    records = {}
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in names:
            raw = rng.integers(0, 256, size=(2, 3073), dtype=np.uint8)
            raw[:, 0] %= 10
            records[name] = raw
            tar.addfile(*_tar_member(f"cifar-10-batches-bin/{name}", raw.tobytes()))
    server.files["cifar.tar.gz"] = buf.getvalue()
    (real,) = F.REGISTRY["cifar10"].files
    remote = F.RemoteFile(
        server.url("cifar.tar.gz"), sha256(buf.getvalue()), real.filename
    )
    entry = F.DatasetEntry(
        "cifar10", "test", "test", (remote,), F.REGISTRY["cifar10"].extract_dir
    )
    monkeypatch.setitem(F.REGISTRY, "cifar10", entry)
    splits = data.cifar10(source="download", cache_dir=tmp_path, verbose=False)
    assert splits.source == "cifar10"
    test = records[data.CIFAR10_TEST_FILE]
    np.testing.assert_array_equal(splits.y_test, test[:, 0])
    # Record layout: label, then the red, green and blue planes, row by row.
    np.testing.assert_array_equal(
        splits.x_test[1, 0, :, 2], test[1, 1 + 2048 : 1 + 2048 + 32]
    )
    assert data.cifar10(source="cache", cache_dir=tmp_path, verbose=False).source == (
        "cifar10"
    )


def test_flowers_download_end_to_end(server, tmp_path, monkeypatch):
    """fetch -> verify -> extract -> data.flowers decodes the archive's JPEGs."""
    import numpy as np
    from PIL import Image

    from course import data

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.addfile(*_tar_member("flower_photos/LICENSE.txt", b"CC BY 2.0"))
        for label, name in enumerate(data.FLOWERS_CLASSES):
            for index in range(2):
                jpeg = io.BytesIO()
                colour = (40 * label + 20 * index,) * 3
                Image.new("RGB", (24, 20), colour).save(jpeg, "JPEG", quality=95)
                member = f"flower_photos/{name}/{index}.jpg"
                tar.addfile(*_tar_member(member, jpeg.getvalue()))
    server.files["flowers.tgz"] = buf.getvalue()
    real = F.REGISTRY["flowers"]
    remote = F.RemoteFile(
        server.url("flowers.tgz"), sha256(buf.getvalue()), real.files[0].filename
    )
    entry = F.DatasetEntry("flowers", "test", "test", (remote,), real.extract_dir)
    monkeypatch.setitem(F.REGISTRY, "flowers", entry)
    splits = data.flowers(
        source="download", cache_dir=tmp_path, image_size=16, verbose=False
    )
    assert splits.x_train.shape == splits.x_test.shape == (5, 16, 16, 3)
    means = np.concatenate([splits.x_train, splits.x_test]).mean(axis=(1, 2, 3))
    labels = np.concatenate([splits.y_train, splits.y_test])
    # Each image is uniform grey: 40 * label, or 40 * label + 20.
    assert np.all(np.abs(means - 40 * labels - 10) <= 12)
    assert F.is_cached("flowers", tmp_path)
    cached = data.flowers(source="cache", cache_dir=tmp_path, image_size=16)
    np.testing.assert_array_equal(cached.x_test, splits.x_test)


def test_dsb2018_download_end_to_end(server, tmp_path, monkeypatch):
    """fetch -> verify -> extract the zip -> data.nuclei_splits reads the TIFFs."""
    import numpy as np
    import tifffile

    from course import data

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for split in ("train", "test"):
            for index in range(2):
                image = np.zeros((40, 50), dtype=np.uint8)
                mask = np.zeros((40, 50), dtype=np.uint16)
                image[5:15, 5 + 10 * index : 15 + 10 * index] = 255
                mask[5:15, 5 + 10 * index : 15 + 10 * index] = 7
                for folder, array in (("images", image), ("masks", mask)):
                    tiff = io.BytesIO()
                    tifffile.imwrite(tiff, array)
                    member = f"dsb2018/{split}/{folder}/{index}.tif"
                    archive.writestr(member, tiff.getvalue())
    server.files["dsb2018.zip"] = buf.getvalue()
    real = F.REGISTRY["dsb2018"]
    remote = F.RemoteFile(
        server.url("dsb2018.zip"), sha256(buf.getvalue()), real.files[0].filename
    )
    entry = F.DatasetEntry("dsb2018", "test", "test", (remote,), real.extract_dir)
    monkeypatch.setitem(F.REGISTRY, "dsb2018", entry)
    train, test = data.nuclei_splits(
        num_train=2,
        num_test=2,
        source="download",
        cache_dir=tmp_path,
        image_size=(32, 48),
        verbose=False,
    )
    assert train.images.shape == test.images.shape == (2, 32, 48, 1)
    assert set(train.counts) <= {0, 1} and train.labels.max() <= 1
    assert F.is_cached("dsb2018", tmp_path)
    cached, _ = data.nuclei_splits(
        num_train=2, num_test=2, source="cache", cache_dir=tmp_path, image_size=(32, 48)
    )
    np.testing.assert_array_equal(cached.labels, train.labels)
