"""X-Request-ID on every response and on the app's log lines."""

from __future__ import annotations

import logging
import re

import pytest
from flask.logging import default_handler

HEX_ID = re.compile(r"[0-9a-f]{32}")


def test_each_response_gets_a_fresh_request_id(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/no-such-page").headers["X-Request-ID"]
    assert HEX_ID.fullmatch(first) and HEX_ID.fullmatch(second)
    assert first != second


def test_a_sane_incoming_id_is_kept(client):
    response = client.get("/healthz", headers={"X-Request-ID": "edge-42.abc:7"})
    assert response.headers["X-Request-ID"] == "edge-42.abc:7"


@pytest.mark.parametrize("incoming", ["", "a" * 129, "bad id", "x\u00e9", "a;b", "<script>"])
def test_an_unsafe_incoming_id_is_replaced(client, incoming):
    response = client.get("/healthz", headers={"X-Request-ID": incoming})
    assert HEX_ID.fullmatch(response.headers["X-Request-ID"])


def test_app_log_lines_carry_the_request_id(app, client, capsys):
    @app.get("/_log_probe")
    def log_probe():
        logging.getLogger("app.probe").warning("probe line")
        return "ok"

    client.get("/_log_probe", headers={"X-Request-ID": "trace-me-123"})
    assert default_handler in app.logger.handlers
    assert "WARNING [trace-me-123] app.probe: probe line" in capsys.readouterr().err


def test_log_lines_outside_a_request_say_so(app, capsys):
    logging.getLogger("app.probe").warning("startup line")
    assert "WARNING [-] app.probe: startup line" in capsys.readouterr().err
