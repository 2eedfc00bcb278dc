"""The coding sample through a real Label Studio: started here on loopback with SQLite in a temporary folder, a
project created through its API from the generated labelling config, the tasks imported, two coders'
annotations posted, the project exported as JSON and the export imported into the coding file.

Label Studio is not a dependency of the project (it pins its own Django, pandas …): point LABEL_STUDIO_BIN at the
``label-studio`` of a separate environment (``python3.11 -m venv /tmp/ls && /tmp/ls/bin/pip install
label-studio``) or put it on PATH; without it the test is skipped. Its first start migrates a new SQLite
database, about 1.5 minutes on two cores. The documented export format is tested without a server in
tests/unit/test_coding_workflow.py."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import polars as pl
import pytest

from rednote_dagster.lib.coding import read_manual_coding
from rednote_dagster.lib.coding_workflow.importing import import_submissions, label_studio_submission
from rednote_dagster.lib.coding_workflow.label_studio import (
    CODE_CONTROL,
    REMARK_CONTROL,
    label_studio_tasks,
    labelling_config,
)
from rednote_dagster.lib.coding_workflow.targets import TARGETS

LABEL_STUDIO = os.environ.get("LABEL_STUDIO_BIN") or shutil.which("label-studio")
pytestmark = pytest.mark.skipif(
    not LABEL_STUDIO,
    reason="Label Studio is not installed: set LABEL_STUDIO_BIN to a label-studio executable (module docstring)",
)
STARTUP_S = 300


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabelStudio:
    def __init__(self, base: str, token: str):
        self.base, self.token = base, token

    def call(self, method: str, path: str, body=None):
        request = urllib.request.Request(
            self.base + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method} {path}: {error.code} {error.read()[:500]!r}") from None


@pytest.fixture(scope="module")
def label_studio(tmp_path_factory):
    data = tmp_path_factory.mktemp("label_studio")
    port, token = _free_port(), secrets.token_hex(20)
    env = os.environ | {
        "LABEL_STUDIO_BASE_DATA_DIR": str(data),
        "DJANGO_DB": "sqlite",
        # nothing leaves the machine: no version check against PyPI, no analytics, no Sentry
        "LATEST_VERSION_CHECK": "false",
        "COLLECT_ANALYTICS": "false",
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
    }
    log = (data / "server.log").open("w")
    server = subprocess.Popen(
        [LABEL_STUDIO, "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(port)]
        + ["--data-dir", str(data), "--username", "coder_a@example.org", "--password", secrets.token_hex(8)]
        + ["--user-token", token, "--enable-legacy-api-token"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            try:
                with urllib.request.urlopen(base + "/health", timeout=5) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                tail = (data / "server.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"Label Studio did not start within {STARTUP_S} s (exit {server.poll()}):\n{tail}")
            time.sleep(2)
        yield LabelStudio(base, token)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def test_every_schemes_config_is_accepted(label_studio):
    for target in TARGETS.values():
        project = label_studio.call(
            "POST", "/api/projects", {"title": target.name, "label_config": labelling_config(target)}
        )
        assert project["id"]


def test_tasks_annotations_and_the_export_round_trip(label_studio, tmp_path):
    target = TARGETS["taxonomy"]
    items = pl.DataFrame(
        {
            "entity": ["note"] * 3,
            "item_id": ["n1", "n2", "n3"],
            "title": ["dumplings", "the ban", "cat tax"],
            "description": ["I made dumplings", "TikTok goes dark on Sunday", "paying my cat tax 🐱"],
            "comments": ["1. recipe please", "No comments available.", "1. so cute\n2. 猫税"],
        }
    )
    project = label_studio.call(
        "POST", "/api/projects", {"title": "taxonomy round trip", "label_config": labelling_config(target)}
    )
    # every task to both coders, as docs/coding.md tells a research group to set it
    label_studio.call("PATCH", f"/api/projects/{project['id']}", {"maximum_annotations": 2})
    imported = label_studio.call("POST", f"/api/projects/{project['id']}/import", label_studio_tasks(items, target))
    assert imported["task_count"] == 3
    tasks = label_studio.call("GET", f"/api/tasks?project={project['id']}&page_size=100")["tasks"]
    task_of = {t["data"]["item_id"]: t["id"] for t in tasks}
    coder_b = label_studio.call(
        "POST", "/api/users/", {"email": "coder_b@example.org", "username": "coder_b", "password": secrets.token_hex(8)}
    )
    me = label_studio.call("GET", "/api/current-user/whoami")
    # What the labelling interface posts: the chosen Choice's alias (the code), and the remark's text.
    planned = {
        (me["id"], "n1"): "2c",
        (me["id"], "n2"): "1a",
        (me["id"], "n3"): "5a",
        (coder_b["id"], "n1"): "2c",
        (coder_b["id"], "n2"): "3b",
    }
    for (user, item), code in planned.items():
        result = [{"from_name": CODE_CONTROL, "to_name": "title", "type": "choices", "value": {"choices": [code]}}]
        if item == "n2":
            result.append(
                {
                    "from_name": REMARK_CONTROL,
                    "to_name": "title",
                    "type": "textarea",
                    "value": {"text": ["ban or speech?"]},
                }
            )
        label_studio.call("POST", f"/api/tasks/{task_of[item]}/annotations", {"result": result, "completed_by": user})
    label_studio.call(  # coder_b skips n3
        "POST",
        f"/api/tasks/{task_of['n3']}/annotations",
        {"result": [], "was_cancelled": True, "completed_by": coder_b["id"]},
    )

    assert label_studio.call("GET", f"/api/projects/{project['id']}")["maximum_annotations"] == 2
    export = label_studio.call("GET", f"/api/projects/{project['id']}/export?exportType=JSON")
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    submission = label_studio_submission(path, coder_names={str(me["id"]): "coder_a", str(coder_b["id"]): "coder_b"})
    assert any("1 skipped (cancelled)" in note for note in submission.notes)
    (report,) = import_submissions([submission], tmp_path / "manual")
    assert report.ok and report.added == 5
    coding = read_manual_coding(tmp_path / "manual" / target.coding_file)
    assert sorted(coding.rows()) == sorted(
        (item, "coder_a" if user == me["id"] else "coder_b", code) for (user, item), code in planned.items()
    )
    remarks = pl.read_csv(tmp_path / "manual" / target.coding_file).filter(pl.col("remark").is_not_null())
    assert remarks.select("note_id", "remark").unique().rows() == [("n2", "ban or speech?")]
