"""Render nginx's configuration: the site from deploy/nginx/signet.conf.in, and nginx.conf.

The same template gives the production site (`python -m deploy.nginx` rewrites
deploy/nginx/signet.conf and deploy/nginx/nginx.conf from deploy/signet.env.example; a test
checks the committed files are up to date) and the configuration of `make cluster` and its
tests, so the two cannot drift apart. `--env /etc/signet/signet.env --output DIR` renders a
host's own files from its settings (server name, certificate paths, upload folder).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

DEPLOY_DIR = Path(__file__).resolve().parent
TEMPLATE = DEPLOY_DIR / "nginx" / "signet.conf.in"
PRODUCTION_SITE = DEPLOY_DIR / "nginx" / "signet.conf"
PRODUCTION_MAIN = DEPLOY_DIR / "nginx" / "nginx.conf"
PRODUCTION_ENV = DEPLOY_DIR / "signet.env.example"
# Where the production nginx.conf expects the site (Debian's layout).
PRODUCTION_SITE_PATH = "/etc/nginx/sites-enabled/signet.conf"
ACCEL_PREFIX = "/_signet_files/"
PLACEHOLDER = re.compile(r"@([A-Z_]+)@")
TLS_BLOCK = re.compile(r"^#@if tls\n(.*?)^#@end\n", re.S | re.M)
TEMP_KINDS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
# Debian installs nginx in /usr/sbin, which is not on every user's PATH.
NGINX_SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
# Each worker: this many connections (a proxied request takes two: client and instance),
# and twice as many file descriptors (connections, temporary files, logs).
WORKER_CONNECTIONS = 8192
WORKER_RLIMIT_NOFILE = 2 * WORKER_CONNECTIONS


@dataclass(frozen=True)
class Tls:
    """HTTPS on `listen`, plain HTTP on `redirect_listen` only redirecting to it."""

    certificate: str
    certificate_key: str
    listen: tuple[str, ...] = ("443", "[::]:443")
    redirect_listen: tuple[str, ...] = ("80", "[::]:80")


@dataclass(frozen=True)
class Site:
    """What differs between one nginx site of Signet and another."""

    upstreams: tuple[str, ...]
    listen: str = "80"  # plain HTTP (the cluster); ignored with `tls`
    server_name: str = "_"
    upload_folder: str = "/srv/signet/uploads"
    max_body_bytes: int = 16 * 1024 * 1024
    # An instance failing this many times within fail_timeout is left alone that long.
    max_fails: int = 2
    fail_timeout: str = "10s"
    tls: Tls | None = None
    # Per client address: requests in progress at once, and the request rate with the
    # burst allowed above it (sign-in and mail routes have tighter zones of their own).
    connections_per_address: int = 100
    request_rate: str = "20r/s"
    request_burst: int = 100


def render_site(site: Site) -> str:
    """Return the site configuration (zones, upstream and server blocks) for `site`."""
    servers = "\n".join(
        f"    server {address} max_fails={site.max_fails} fail_timeout={site.fail_timeout};"
        for address in site.upstreams)
    if site.tls:
        listen = [f"listen {address} ssl http2;" for address in site.tls.listen]
        redirect = [f"listen {address};" for address in site.tls.redirect_listen]
    else:
        listen, redirect = [f"listen {site.listen};"], []
    values = {
        "UPSTREAM_SERVERS": servers,
        "LISTEN": "\n    ".join(listen),
        "REDIRECT_LISTEN": "\n    ".join(redirect),
        "SERVER_NAME": site.server_name,
        "REDIRECT_HOST": site.server_name.split()[0],  # the first name is the canonical one
        "TLS_CERTIFICATE": site.tls.certificate if site.tls else "",
        "TLS_CERTIFICATE_KEY": site.tls.certificate_key if site.tls else "",
        "CLIENT_MAX_BODY_SIZE": str(site.max_body_bytes),
        "UPLOAD_FOLDER": site.upload_folder.rstrip("/"),
        "ACCEL_PREFIX": ACCEL_PREFIX,
        "CONNECTIONS_PER_ADDRESS": str(site.connections_per_address),
        "REQUEST_RATE": site.request_rate,
        "REQUEST_BURST": str(site.request_burst),
    }

    def fill(match: re.Match) -> str:
        return values[match.group(1)]  # a KeyError names a placeholder nobody fills

    text = TLS_BLOCK.sub(lambda block: block.group(1) if site.tls else "",
                         TEMPLATE.read_text())
    return PLACEHOLDER.sub(fill, text)


def read_env(path: Path) -> dict[str, str]:
    """The KEY=value lines of an env file (comments and blank lines skipped)."""
    lines = (line.strip() for line in path.read_text().splitlines())
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def site_from_settings(settings: dict[str, str]) -> Site:
    """The production site (TLS, two instances) for a host's settings (signet.env)."""
    host = urlsplit(settings["PUBLIC_BASE_URL"]).hostname
    return Site(
        upstreams=("127.0.0.1:8001", "127.0.0.1:8002"),
        server_name=settings.get("NGINX_SERVER_NAME") or host or "_",
        upload_folder=settings.get("UPLOAD_FOLDER", "/srv/signet/uploads"),
        max_body_bytes=int(settings.get("MAX_CONTENT_LENGTH", 16 * 1024 * 1024)),
        tls=Tls(certificate=settings["NGINX_TLS_CERTIFICATE"],
                certificate_key=settings["NGINX_TLS_CERTIFICATE_KEY"]))


def production_site() -> str:
    """The committed site: deploy/signet.env.example's settings."""
    return render_site(site_from_settings(read_env(PRODUCTION_ENV)))


@dataclass(frozen=True)
class Main:
    """What differs between one nginx.conf for Signet and another."""

    site_file: str
    pid: str = "/run/nginx.pid"
    error_log: str = "/var/log/nginx/error.log"
    access_log: str = "/var/log/nginx/access.log"
    temp_root: str | None = None  # None: nginx's compiled-in temporary folders
    user: str | None = "www-data"
    worker_processes: str = "auto"
    worker_connections: int = WORKER_CONNECTIONS
    worker_rlimit_nofile: int = WORKER_RLIMIT_NOFILE


def render_main(main: Main) -> str:
    """A complete nginx.conf for Signet's site alone (not Debian's stock one)."""
    user = f"user {main.user};\n" if main.user else ""
    temp = "".join(f"    {kind}_temp_path {main.temp_root}/{kind};\n"
                   for kind in TEMP_KINDS) if main.temp_root else ""
    return (
        "# nginx.conf for Signet (rendered by deploy/nginx.py; edit it there). Its site,\n"
        "# deploy/nginx/signet.conf, is the only one included.\n"
        f"{user}worker_processes {main.worker_processes};\n"
        "# Enough descriptors for every connection a worker may hold (and its temporary\n"
        "# files): the stock 768 connections were all taken by one address's slow bodies.\n"
        f"worker_rlimit_nofile {main.worker_rlimit_nofile};\n"
        f"pid {main.pid};\n"
        f"error_log {main.error_log} warn;\n"
        f"events {{ worker_connections {main.worker_connections}; }}\n"
        "http {\n"
        "    include /etc/nginx/mime.types;\n"
        "    default_type application/octet-stream;\n"
        "    server_tokens off;\n"
        f"    access_log {main.access_log};\n"
        f"{temp}"
        f"    include {main.site_file};\n"
        "}\n"
    )


def production_main() -> str:
    """The committed nginx.conf: Debian's paths, the site in sites-enabled."""
    return render_main(Main(site_file=PRODUCTION_SITE_PATH))


def local_main(prefix: Path, site_file: Path, *, worker_processes: int = 2) -> str:
    """An nginx.conf that keeps pid, logs and temporary files inside `prefix`."""
    # As root nginx would switch its workers to nobody, who cannot read the files written
    # by instances running as root; as another user the directive is ignored anyway.
    user = "root" if hasattr(os, "geteuid") and os.geteuid() == 0 else None
    # Not root: nginx may raise its descriptors only up to the hard limit it inherits.
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nofile = WORKER_RLIMIT_NOFILE if hard == resource.RLIM_INFINITY else min(
        WORKER_RLIMIT_NOFILE, hard)
    return render_main(Main(
        site_file=str(site_file), pid=str(prefix / "nginx.pid"),
        error_log=str(prefix / "error.log"), access_log=str(prefix / "access.log"),
        temp_root=str(prefix / "tmp"), user=user, worker_processes=str(worker_processes),
        worker_connections=min(WORKER_CONNECTIONS, nofile // 2), worker_rlimit_nofile=nofile))


def find_nginx() -> str | None:
    """The nginx executable, or None when it is not installed."""
    return shutil.which("nginx", path=NGINX_SEARCH_PATH)


def nginx_command(nginx: str, prefix: Path, conf: Path) -> list[str]:
    """The command that runs nginx in the foreground with everything under `prefix`."""
    return [nginx, "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(conf),
            "-g", "daemon off;"]


def write_config(prefix: Path, site: Site) -> Path:
    """Write site and main configuration into `prefix`; return the main file."""
    for kind in TEMP_KINDS:
        (prefix / "tmp" / kind).mkdir(parents=True, exist_ok=True)
    site_file = prefix / "signet.conf"
    site_file.write_text(render_site(site))
    main = prefix / "nginx.conf"
    main.write_text(local_main(prefix, site_file))
    return main


def main(argv: list[str] | None = None) -> int:
    """Write nginx.conf and signet.conf for a host's settings (default: the committed ones)."""
    parser = argparse.ArgumentParser(prog="python -m deploy.nginx", description=__doc__)
    parser.add_argument("--env", type=Path, default=PRODUCTION_ENV,
                        help="the host's settings (default: deploy/signet.env.example)")
    parser.add_argument("--output", type=Path, default=PRODUCTION_SITE.parent,
                        help="folder for nginx.conf and signet.conf (default: deploy/nginx)")
    args = parser.parse_args(argv)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "signet.conf").write_text(render_site(site_from_settings(
        read_env(args.env))))
    (args.output / "nginx.conf").write_text(production_main())
    sys.stdout.write(f"wrote {args.output / 'nginx.conf'} and {args.output / 'signet.conf'}"
                     f" (install as /etc/nginx/nginx.conf and {PRODUCTION_SITE_PATH})\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
