"""A real TensorBoard server on 127.0.0.1, and what its data API says about runs.

What a student sees in TensorBoard's dashboards comes from its HTTP data API
(``/data/plugins_listing``, ``/data/plugin/<plugin>/tags``, ...). The tests start
the real server on the course's logs and ask the same questions, and so does
:func:`summarize` for a closing note or a curious student::

    with TensorBoardServer("runs") as server:
        print(summarize(server))

The server runs as a child process (``python -m tensorboard.main``), bound to
127.0.0.1 on a free port, and is stopped when the ``with`` block ends.

``python -m course.tensorboard.server runs`` (``make tensorboard-check``) prints
the same for every run of a folder.
"""

from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from course import _validate

__all__ = ["TensorBoardServer", "summarize"]


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class TensorBoardServer:
    """TensorBoard serving ``logdir`` on 127.0.0.1, for as long as it is open.

    Args:
        logdir: the folder of runs.
        timeout: seconds to wait for the server to answer, and per request.
    """

    def __init__(self, logdir, timeout=120):
        self.logdir = Path(_validate.path("logdir", logdir))
        self.timeout = _validate.positive("timeout", timeout)
        self.port = None
        self._process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        """Starts the server and waits until its data API answers."""
        self.port = _free_port()
        command = [
            sys.executable,
            "-m",
            "tensorboard.main",
            "--logdir",
            os.fspath(self.logdir),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            # The Python loader reads everything at start; the Rust data server
            # (load_fast) would answer before it has read the runs.
            "--load_fast",
            "false",
            "--reload_interval",
            "0",
        ]
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                error = self._process.stderr.read()[-2000:]
                raise RuntimeError(f"TensorBoard exited at start:\n{error}")
            try:
                self.get("/data/plugins_listing")
                return self
            except (OSError, urllib.error.URLError):
                time.sleep(0.5)
        self.stop()
        raise TimeoutError(f"TensorBoard did not answer within {self.timeout} s")

    def get(self, path, body=None):
        """The JSON answer of ``path`` (a POST when ``body`` is given)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            payload = response.read()
            if response.headers.get("Content-Encoding") == "gzip":  # the profile plugin
                payload = gzip.decompress(payload)
        return json.loads(payload.decode())

    def stop(self):
        """Stops the server (idempotent)."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process is not None and self._process.stderr:
            self._process.stderr.close()
        self._process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


def summarize(server):
    """What each dashboard of a running server holds.

    Returns:
        ``{"plugins": [active plugins], "runs": n, "scalars": {run: [tags]},
        "images": {run: [tags]}, "text": {run: [tags]}, "hparams": {"hparams":
        [names], "sessions": [session names]}, "projector": [runs]}``.
    """
    listing = server.get("/data/plugins_listing")
    active = sorted(name for name, info in listing.items() if info.get("enabled"))
    result = {"plugins": active, "runs": len(server.get("/data/runs"))}
    for plugin in ("scalars", "images", "text"):
        tags = server.get(f"/data/plugin/{plugin}/tags") if plugin in active else {}
        result[plugin] = {run: sorted(names) for run, names in tags.items()}
    result["hparams"] = {"hparams": [], "sessions": []}
    if "hparams" in active:
        experiment = server.get(
            "/data/plugin/hparams/experiment", {"experimentName": ""}
        )
        groups = server.get(
            "/data/plugin/hparams/session_groups",
            {
                "experimentName": "",
                "allowedStatuses": [
                    "STATUS_UNKNOWN",
                    "STATUS_SUCCESS",
                    "STATUS_FAILURE",
                    "STATUS_RUNNING",
                ],
                "colParams": [],
                "startIndex": 0,
                "sliceSize": 100000,
            },
        )
        result["hparams"] = {
            "hparams": sorted(h["name"] for h in experiment.get("hparamInfos", [])),
            "metrics": sorted(
                m["name"].get("group", "") + "/" + m["name"]["tag"]
                for m in experiment.get("metricInfos", [])
            ),
            "sessions": sorted(
                s["name"]
                for g in groups.get("sessionGroups", [])
                for s in g["sessions"]
            ),
        }
    result["projector"] = (
        sorted(server.get("/data/plugin/projector/runs"))
        if "projector" in active
        else []
    )
    return result


def main(argv=None):
    """``python -m course.tensorboard.server [LOGDIR]``: what TensorBoard lists.

    Starts the server on ``LOGDIR`` (default: ``config.runs_dir()``), prints
    :func:`summarize` as JSON, plus the runs with a profiler trace, and stops it.
    """
    import argparse

    from course import config

    parser = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    parser.add_argument("logdir", nargs="?", default=None)
    args = parser.parse_args(argv)
    logdir = Path(args.logdir) if args.logdir else config.runs_dir()
    with TensorBoardServer(logdir) as server:
        summary = summarize(server)
        if "profile" in summary["plugins"]:
            summary["profile"] = server.get("/data/plugin/profile/runs")
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
