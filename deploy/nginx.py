"""Render the nginx configuration from deploy/nginx/signet.conf.in.

The same template gives the production site (`python -m deploy.nginx` rewrites
deploy/nginx/signet.conf; a test checks the committed file is up to date) and the
configuration of `make cluster` and its tests, so the two cannot drift apart.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

DEPLOY_DIR = Path(__file__).resolve().parent
TEMPLATE = DEPLOY_DIR / "nginx" / "signet.conf.in"
PRODUCTION_SITE = DEPLOY_DIR / "nginx" / "signet.conf"
ACCEL_PREFIX = "/_signet_files/"
PLACEHOLDER = re.compile(r"@([A-Z_]+)@")
# Debian installs nginx in /usr/sbin, which is not on every user's PATH.
NGINX_SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])


@dataclass(frozen=True)
class Site:
    """What differs between one nginx site of Signet and another."""

    upstreams: tuple[str, ...]
    listen: str = "80"
    server_name: str = "_"
    upload_folder: str = "/srv/signet/uploads"
    max_body_bytes: int = 16 * 1024 * 1024
    # An instance failing this many times within fail_timeout is left alone that long.
    max_fails: int = 2
    fail_timeout: str = "10s"


def render_site(site: Site) -> str:
    """Return the site configuration (upstream and server blocks) for `site`."""
    servers = "\n".join(
        f"    server {address} max_fails={site.max_fails} fail_timeout={site.fail_timeout};"
        for address in site.upstreams)
    values = {
        "UPSTREAM_SERVERS": servers,
        "LISTEN": site.listen,
        "SERVER_NAME": site.server_name,
        "CLIENT_MAX_BODY_SIZE": str(site.max_body_bytes),
        "UPLOAD_FOLDER": site.upload_folder.rstrip("/"),
        "ACCEL_PREFIX": ACCEL_PREFIX,
    }

    def fill(match: re.Match) -> str:
        return values[match.group(1)]  # a KeyError names a placeholder nobody fills

    return PLACEHOLDER.sub(fill, TEMPLATE.read_text())


def production_site() -> str:
    """The site for a production host: two instances on 127.0.0.1:8001 and :8002."""
    return render_site(Site(upstreams=("127.0.0.1:8001", "127.0.0.1:8002")))


def render_main(prefix: Path, site_file: Path, *, worker_processes: int = 2) -> str:
    """A complete nginx.conf that keeps pid, logs and temporary files inside `prefix`."""
    # As root nginx would switch its workers to nobody, who cannot read the files written
    # by instances running as root; as another user the directive is ignored anyway.
    user = "user root;\n" if hasattr(os, "geteuid") and os.geteuid() == 0 else ""
    temp = "\n".join(f"    {kind}_temp_path {prefix / 'tmp' / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (
        f"{user}worker_processes {worker_processes};\n"
        f"pid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'error.log'} warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        "    include /etc/nginx/mime.types;\n"
        "    default_type application/octet-stream;\n"
        f"    access_log {prefix / 'access.log'};\n"
        f"{temp}\n"
        f"    include {site_file};\n"
        "}\n"
    )


def find_nginx() -> str | None:
    """The nginx executable, or None when it is not installed."""
    return shutil.which("nginx", path=NGINX_SEARCH_PATH)


def nginx_command(nginx: str, prefix: Path, conf: Path) -> list[str]:
    """The command that runs nginx in the foreground with everything under `prefix`."""
    return [nginx, "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(conf),
            "-g", "daemon off;"]


def write_config(prefix: Path, site: Site) -> Path:
    """Write site and main configuration into `prefix`; return the main file."""
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / "tmp" / kind).mkdir(parents=True, exist_ok=True)
    site_file = prefix / "signet.conf"
    site_file.write_text(render_site(site))
    main = prefix / "nginx.conf"
    main.write_text(render_main(prefix, site_file))
    return main


if __name__ == "__main__":
    PRODUCTION_SITE.write_text(production_site())
    sys.stdout.write(f"wrote {PRODUCTION_SITE.relative_to(Path.cwd())}\n")
