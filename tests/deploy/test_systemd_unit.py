"""deploy/systemd/signet@.service: systemd accepts it, and gunicorn tells systemd it is up.

No systemd runs as PID 1 here, so the unit is checked in the two parts that can be: its
syntax by `systemd-analyze verify` (with its paths pointed at this checkout), and
`Type=notify` by listening on a NOTIFY_SOCKET, as systemd would, while gunicorn starts
with the project's gunicorn.conf.py.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live_server import LiveServer

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "systemd" / "signet@.service"
GUNICORN = Path(sys.executable).with_name("gunicorn")


def unit_here(tmp_path: Path) -> Path:
    """The unit with its install paths replaced by this checkout's."""
    text = (UNIT.read_text()
            .replace("/srv/signet/app/.venv/bin/gunicorn", str(GUNICORN))
            .replace("/srv/signet/app", str(ROOT))
            .replace("/srv/signet/uploads", str(tmp_path))
            .replace("/etc/signet/signet.env", str(ROOT / "deploy" / "signet.env.example")))
    copy = tmp_path / UNIT.name
    copy.write_text(text)
    return copy


@pytest.mark.skipif(shutil.which("systemd-analyze") is None and not os.environ.get("CI"),
                    reason="systemd-analyze is not installed (Debian's systemd package)")
def test_systemd_accepts_the_unit(tmp_path):
    result = subprocess.run(["systemd-analyze", "verify", str(unit_here(tmp_path))],
                            capture_output=True, text=True, timeout=60)

    # verify exits 0 even for lines it ignores; those are printed, so nothing may be.
    assert result.returncode == 0, result.stderr
    assert result.stdout + result.stderr == ""


def test_the_unit_waits_for_gunicorn_to_say_it_is_ready():
    text = UNIT.read_text()
    assert "Type=notify" in text and "NotifyAccess=main" in text


@pytest.mark.live
def test_gunicorn_tells_systemd_when_it_is_ready(app_config, tmp_path):
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(str(path))
        listener.settimeout(60)
        server = LiveServer({"DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
                             "UPLOAD_FOLDER": app_config["UPLOAD_FOLDER"],
                             "NOTIFY_SOCKET": str(path)}, workers=1)
        try:
            server.start(timeout=60)
            message = listener.recv(4096).decode()
        finally:
            server.stop()

    assert "READY=1" in message.splitlines()
