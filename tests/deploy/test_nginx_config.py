"""The nginx configuration: the committed production files match their template and
settings, nginx accepts them, and nginx retries an idempotent request on another instance
but never a POST it has already sent."""

from __future__ import annotations

import re
import subprocess

import pytest
import requests

from app.settings.build import known_names
from deploy.nginx import (
    ACCEL_PREFIX,
    DEPLOY_DIR,
    PRODUCTION_ENV,
    PRODUCTION_MAIN,
    PRODUCTION_SITE,
    PRODUCTION_SITE_PATH,
    Site,
    nginx_command,
    production_main,
    production_site,
    read_env,
    render_site,
    write_config,
)
from deploy.nginx import (
    main as render_files,
)
from tests.deploy.stand_in import Upstream, running_nginx, self_signed
from tests.live_server import free_port

# Read by deploy/nginx.py when it renders the site, not by the app.
READ_ELSEWHERE = {"NGINX_TLS_CERTIFICATE", "NGINX_TLS_CERTIFICATE_KEY", "NGINX_SERVER_NAME"}


def directives(text: str) -> str:
    """The configuration without its comments."""
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def test_the_committed_production_files_are_the_rendered_template():
    assert PRODUCTION_SITE.read_text() == production_site(), (
        "deploy/nginx/signet.conf is stale: run `python -m deploy.nginx`")
    assert PRODUCTION_MAIN.read_text() == production_main(), (
        "deploy/nginx/nginx.conf is stale: run `python -m deploy.nginx`")


def test_the_site_matches_the_apps_limits_and_proxy_settings():
    site = directives(render_site(Site(upstreams=("10.0.0.1:8000",), max_body_bytes=12345)))
    assert "client_max_body_size 12345;" in site
    assert "server 10.0.0.1:8000 max_fails=2 fail_timeout=10s;" in site
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in site
    assert "proxy_next_upstream error timeout http_502 http_503;" in site
    assert "non_idempotent" not in site
    assert not re.search(r"@[A-Z_]+@", site)


def test_the_site_limits_every_address_and_signs_in_and_mails_more_tightly():
    site = directives(PRODUCTION_SITE.read_text())
    for zone in ("signet_conn", "signet_export"):
        assert f"limit_conn_zone $binary_remote_addr zone={zone}:" in site
    for zone in ("signet_req", "signet_signin", "signet_mail"):
        assert f"limit_req_zone $binary_remote_addr zone={zone}:" in site
    assert "limit_conn_status 429;" in site and "limit_req_status 429;" in site
    assert "reset_timedout_connection on;" in site
    # Each tight zone sits on a location matching the routes that spend bcrypt or mail.
    locations = dict(re.findall(r"location ~ (\S+) \{(.*?)\n    \}", site, re.S))
    by_zone = {re.search(r"zone=(signet_signin|signet_mail)", body).group(1): pattern
               for pattern, body in locations.items()}
    for path in ("/api/v1/auth/login", "/api/v1/auth/register", "/api/v1/auth/login/mfa",
                 "/api/v1/auth/password", "/api/v1/auth/passkeys/login/verify"):
        assert re.search(by_zone["signet_signin"], path), path
    for path in ("/api/v1/auth/password/forgot", "/api/v1/auth/verify-email/resend",
                 "/api/v1/auth/email/change", "/api/v1/users/invitations"):
        assert re.search(by_zone["signet_mail"], path), path
        assert not re.search(by_zone["signet_signin"], path), path
    for path in ("/api/v1/auth/me", "/api/v1/auth/refresh", "/api/v1/users"):
        assert not any(re.search(pattern, path) for pattern in locations), path


def test_the_production_site_is_https_with_hsts_and_redirects_plain_http():
    settings = read_env(PRODUCTION_ENV)
    site = directives(PRODUCTION_SITE.read_text())
    assert "listen 443 ssl http2;" in site and "listen [::]:443 ssl http2;" in site
    assert f"ssl_certificate {settings['NGINX_TLS_CERTIFICATE']};" in site
    assert f"ssl_certificate_key {settings['NGINX_TLS_CERTIFICATE_KEY']};" in site
    assert "server_name signet.example.com;" in site  # the host of PUBLIC_BASE_URL
    assert "return 301 https://signet.example.com$request_uri;" in site
    assert "add_header Strict-Transport-Security $signet_hsts always;" in site
    # The cluster's plain site has neither TLS nor a redirect.
    plain = directives(render_site(Site(upstreams=("10.0.0.1:8000",), listen="8080")))
    assert "ssl" not in plain and "return 301" not in plain and "#@" not in plain


def test_a_host_renders_its_own_files_from_its_settings(tmp_path):
    env = tmp_path / "signet.env"
    env.write_text(PRODUCTION_ENV.read_text()
                   .replace("PUBLIC_BASE_URL=https://signet.example.com",
                            "PUBLIC_BASE_URL=https://id.corp.test")
                   .replace("/etc/letsencrypt/live/signet.example.com/", "/etc/ssl/corp/")
                   + "MAX_CONTENT_LENGTH=1048576\n")

    assert render_files(["--env", str(env), "--output", str(tmp_path / "out")]) == 0
    site = directives((tmp_path / "out" / "signet.conf").read_text())
    assert "server_name id.corp.test;" in site
    assert "return 301 https://id.corp.test$request_uri;" in site
    assert "ssl_certificate /etc/ssl/corp/fullchain.pem;" in site
    assert "ssl_certificate_key /etc/ssl/corp/privkey.pem;" in site
    assert "client_max_body_size 1048576;" in site
    assert (tmp_path / "out" / "nginx.conf").read_text() == production_main()

    env.write_text(env.read_text() + "NGINX_SERVER_NAME=id.corp.test www.id.corp.test\n")
    render_files(["--env", str(env), "--output", str(tmp_path / "out")])
    site = directives((tmp_path / "out" / "signet.conf").read_text())
    assert "server_name id.corp.test www.id.corp.test;" in site
    assert "return 301 https://id.corp.test$request_uri;" in site  # the first name


def test_the_production_nginx_conf_is_signets_own():
    main = directives(PRODUCTION_MAIN.read_text())
    assert f"include {PRODUCTION_SITE_PATH};" in main
    assert "sites-enabled/*" not in main and "conf.d" not in main
    connections = int(re.search(r"worker_connections (\d+);", main).group(1))
    nofile = int(re.search(r"worker_rlimit_nofile (\d+);", main).group(1))
    assert connections >= 8192  # Debian's stock 768 fell to one address's slow bodies
    assert nofile >= 2 * connections


def test_nginx_accepts_the_production_files(nginx, tmp_path):
    certificate, key = self_signed(tmp_path)
    settings = read_env(PRODUCTION_ENV)
    main = write_config(tmp_path, Site(upstreams=("127.0.0.1:8001", "127.0.0.1:8002")))
    (tmp_path / "signet.conf").write_text(
        PRODUCTION_SITE.read_text().replace(settings["NGINX_TLS_CERTIFICATE"], certificate)
        .replace(settings["NGINX_TLS_CERTIFICATE_KEY"], key))
    # Debian's paths swapped for ours: nginx -t opens the logs and includes the site.
    production = (PRODUCTION_MAIN.read_text()
                  .replace(PRODUCTION_SITE_PATH, str(tmp_path / "signet.conf"))
                  .replace("/var/log/nginx/", f"{tmp_path}/"))
    (tmp_path / "production.conf").write_text(production)
    for conf in (main, tmp_path / "production.conf"):
        check = subprocess.run([*nginx_command(nginx, tmp_path, conf)[:-2], "-t"],
                               capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stderr


@pytest.fixture
def nginx_in_front(nginx, tmp_path):
    """nginx on the site template in front of an instance answering 503 and a healthy one."""
    failing, healthy = Upstream(503), Upstream(200)
    port = free_port()
    # max_fails=0: the failing instance stays in the rotation, so every request below
    # meets it in turn (round robin) instead of it being set aside after two failures.
    site = Site(upstreams=(failing.address, healthy.address), listen=f"127.0.0.1:{port}",
                upload_folder=str(tmp_path), max_fails=0)
    url = f"http://127.0.0.1:{port}"
    try:
        with running_nginx(nginx, tmp_path, site, url):
            failing.hits.clear()
            healthy.hits.clear()
            yield url, failing, healthy
    finally:
        failing.close()
        healthy.close()


@pytest.mark.cluster
def test_a_post_is_sent_once_and_a_get_is_retried_elsewhere(nginx_in_front):
    url, failing, healthy = nginx_in_front

    posts = [requests.post(f"{url}/x", data=b"once", timeout=5).status_code for _ in range(4)]

    # Round robin sends a POST to the failing instance: its 503 reaches the client as is.
    assert 503 in posts
    assert failing.hits["POST"] + healthy.hits["POST"] == len(posts)
    assert failing.hits["POST"] == posts.count(503)

    gets = [requests.get(f"{url}/x", timeout=5).status_code for _ in range(4)]

    assert gets == [200] * 4
    assert failing.hits["GET"] >= 1  # it was tried, failed, and the GET went on
    assert healthy.hits["GET"] == 4


def test_the_env_template_agrees_with_the_nginx_site():
    settings = read_env(DEPLOY_DIR / "signet.env.example")
    site = PRODUCTION_SITE.read_text()
    assert settings["TRUSTED_PROXY_COUNT"] == "1"  # nginx appends exactly one hop
    assert settings["PUBLIC_BASE_URL"].startswith("https://")  # the site is HTTPS
    assert f"client_max_body_size {settings['MAX_CONTENT_LENGTH']};" in site
    assert settings["ACCEL_REDIRECT_PREFIX"] == ACCEL_PREFIX
    assert f"location {ACCEL_PREFIX} {{" in site
    assert f"alias {settings['UPLOAD_FOLDER']}/;" in site
    unknown = set(settings) - set(known_names()) - {"APP_ENV"} - READ_ELSEWHERE
    assert not unknown, f"settings nothing reads: {unknown}"


def test_systemd_waits_longer_than_the_graceful_timeout():
    unit = (DEPLOY_DIR / "systemd" / "signet@.service").read_text()
    stop = int(re.search(r"^TimeoutStopSec=(\d+)$", unit, re.M).group(1))
    graceful = int(read_env(DEPLOY_DIR / "signet.env.example")["GUNICORN_GRACEFUL_TIMEOUT"])
    assert stop > graceful
    assert "Environment=PORT=%i" in unit
