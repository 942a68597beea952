"""`make cluster`: Signet's production topology on one machine, stopped by Ctrl-C.

nginx (http://127.0.0.1:8080) in front of two gunicorn instances that share MariaDB (a
database of their own), Redis (revocation and rate limits) and an S3 server (moto), with
production settings. The live test and bench/cluster.py start the same `Cluster` on free
ports. Every process runs in a session of its own: a Ctrl-C reaches this supervisor only,
which then stops the others gracefully (SIGQUIT to nginx, SIGTERM to gunicorn).
"""

from __future__ import annotations

import base64
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from deploy.nginx import ACCEL_PREFIX, Site, find_nginx, nginx_command, write_config
from deploy.processes import ClusterError, Managed, port_in_use, run_in_foreground, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
S3_KEYS = {"AWS_ACCESS_KEY_ID": "signet-cluster", "AWS_SECRET_ACCESS_KEY": "signet-cluster",
           "S3_REGION": "us-east-1"}
DEFAULT_MAX_BODY = 16 * 1024 * 1024


@dataclass
class ClusterSpec:
    """Where the cluster lives and what it talks to."""

    workdir: Path
    database_url: str
    http_port: int = 8080
    instance_ports: tuple[int, ...] = (8001, 8002)
    s3_port: int = 9000
    storage: str = "s3"  # "s3" (moto) or "local" (one upload folder, X-Accel-Redirect)
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "signet-cluster:"
    workers: int = 2
    env: dict[str, str] = field(default_factory=dict)  # extra settings for every instance
    # Site fields that differ from production's (deploy.nginx.Site), e.g. a request rate
    # a benchmark from one address would otherwise spend in a second.
    site: dict[str, object] = field(default_factory=dict)


# Each instance of a cluster needs the same value of these (Fernet: a signing-key seal).
CLUSTER_SECRETS = {
    "SECRET_KEY": lambda: secrets.token_urlsafe(48),
    "JWT_SECRET_KEY": lambda: secrets.token_urlsafe(48),
    "SIGNING_KEY_ENCRYPTION_KEY": lambda: base64.urlsafe_b64encode(
        secrets.token_bytes(32)).decode(),
}


def cluster_secrets(workdir: Path) -> dict[str, str]:
    """The secrets every instance shares, generated once per workdir.

    A workdir from before a secret existed gets the missing one added: the instances
    share the database, so they must share the key sealing its signing keys too.
    """
    path = workdir / "secrets.env"
    if not path.exists():
        workdir.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    found = {name: value for name, value in pairs}
    missing = {name: make() for name, make in CLUSTER_SECRETS.items() if name not in found}
    if missing:
        with path.open("a") as handle:
            handle.writelines(f"{name}={value}\n" for name, value in missing.items())
    return {**found, **missing}


def create_database(database_url: str) -> None:
    """Create the cluster's MariaDB database (utf8mb4) unless it exists."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    name = url.database
    if not name or not name.replace("_", "").isalnum():
        raise ClusterError(f"the cluster needs a plain database name, got {name!r}")
    engine = sa.create_engine(url.set(database=""), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE IF NOT EXISTS `{name}` "
                                 "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    finally:
        engine.dispose()


def migrate(database_url: str, upload_folder: Path) -> None:
    """`flask db upgrade` on the cluster's database, in this process (no second start-up)."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db

    # Migrations need only the database URL; the testing settings need no secrets.
    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_url,
                      "STORAGE_BACKEND": "local", "UPLOAD_FOLDER": str(upload_folder)})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        db.engine.dispose()


class Cluster:
    """Start, inspect and stop the whole topology; use as a context manager."""

    def __init__(self, spec: ClusterSpec):
        self.spec = spec
        self.workdir = spec.workdir
        self.upload_folder = self.workdir / "uploads"
        self.url = f"http://127.0.0.1:{spec.http_port}"
        self.s3_url = f"http://127.0.0.1:{spec.s3_port}"
        self.bucket = "signet"
        self.instances: list[Managed] = []
        self.nginx: Managed | None = None
        self.s3: Managed | None = None

    def __enter__(self) -> Cluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def instance_env(self, port: int) -> dict[str, str]:
        """The environment of one instance: production settings on the shared stores."""
        spec = self.spec
        env = {
            **os.environ, **cluster_secrets(self.workdir),
            "APP_ENV": "production", "DATABASE_URL": spec.database_url,
            "REVOCATION_STORE_URL": spec.redis_url, "REVOCATION_KEY_PREFIX": spec.redis_prefix,
            "RATELIMIT_ENABLED": "true", "RATELIMIT_STORAGE_URI": spec.redis_url,
            "RATELIMIT_KEY_PREFIX": spec.redis_prefix,
            # nginx is the one proxy in front; plain HTTP on 127.0.0.1, so no Secure cookies.
            "TRUSTED_PROXY_COUNT": "1", "JWT_COOKIE_SECURE": "false",
            "STORAGE_BACKEND": spec.storage, "UPLOAD_FOLDER": str(self.upload_folder),
            "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": str(spec.workers),
            "FLASK_APP": "wsgi.py",
            # Production requires it: the address clients reach, nginx in front.
            "PUBLIC_BASE_URL": self.url,
            # No SMTP server here: both instances deliver the shared outbox (claimed rows,
            # each message once) as .eml files in one folder; production sets SMTP_HOST.
            "MAIL_BACKEND": "file", "MAIL_FILE_DIR": str(self.workdir / "mail"),
        }
        if spec.storage == "s3":
            env.update(S3_KEYS, S3_BUCKET=self.bucket, S3_ENDPOINT_URL=self.s3_url,
                       S3_PRESIGNED_DOWNLOADS="true")
        else:
            env["ACCEL_REDIRECT_PREFIX"] = ACCEL_PREFIX
        return {**env, **spec.env}

    def start(self) -> None:
        """Database, S3, the instances, then nginx; each one healthy before the next."""
        nginx = find_nginx()
        if nginx is None:
            raise ClusterError("nginx is not installed (Debian: apt-get install -y nginx)")
        ports = (self.spec.http_port, self.spec.s3_port, *self.spec.instance_ports)
        if busy := [port for port in ports if port_in_use(port)]:
            raise ClusterError(f"port(s) {busy} of 127.0.0.1 are in use (another cluster?)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.upload_folder.mkdir(exist_ok=True)
        create_database(self.spec.database_url)
        migrate(self.spec.database_url, self.upload_folder)
        self._start_s3()
        # The instances boot side by side (a boot is mostly imports).
        for number, port in enumerate(self.spec.instance_ports, start=1):
            self.start_instance(number, port, wait=False)
        for instance in self.instances:
            wait_healthy(f"{instance.url}/healthz", instance)
        self.write_nginx_config(len(self.spec.instance_ports))
        conf = self.workdir / "nginx" / "nginx.conf"
        self.nginx = self._spawn("nginx", nginx_command(nginx, conf.parent, conf))
        wait_healthy(f"{self.url}/healthz", self.nginx)

    def _spawn(self, name: str, command: list[str], env: dict | None = None) -> Managed:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 (the child keeps it)
        with log:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        return Managed(name, process)

    def _start_s3(self) -> None:
        import boto3

        self.s3 = self._spawn(
            "s3", [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.spec.s3_port)],
            env={**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"})
        wait_healthy(f"{self.s3_url}/moto-api/", self.s3)
        client = boto3.client("s3", endpoint_url=self.s3_url, region_name="us-east-1",
                              aws_access_key_id=S3_KEYS["AWS_ACCESS_KEY_ID"],
                              aws_secret_access_key=S3_KEYS["AWS_SECRET_ACCESS_KEY"])
        client.create_bucket(Bucket=self.bucket)  # moto's memory is empty at every start

    def start_instance(self, number: int, port: int, *, wait: bool = True) -> Managed:
        """Start (or restart) instance `number` on `port`; wait until it is healthy."""
        command = [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"]
        instance = self._spawn(f"instance-{number}", command, self.instance_env(port))
        instance.url = f"http://127.0.0.1:{port}"
        if wait:
            wait_healthy(f"{instance.url}/healthz", instance)
        if number <= len(self.instances):
            self.instances[number - 1] = instance
        else:
            self.instances.append(instance)
        return instance

    def write_nginx_config(self, count: int) -> None:
        """Point nginx at the first `count` instances (reloading it when it runs)."""
        upstreams = tuple(f"127.0.0.1:{port}" for port in self.spec.instance_ports[:count])
        max_body = int(self.spec.env.get("MAX_CONTENT_LENGTH", DEFAULT_MAX_BODY))
        site = Site(upstreams=upstreams, listen=f"127.0.0.1:{self.spec.http_port}",
                    upload_folder=str(self.upload_folder), max_body_bytes=max_body,
                    **self.spec.site)
        write_config(self.workdir / "nginx", site)
        if self.nginx is not None:
            self.nginx.send(signal.SIGHUP)  # new workers read the file; old ones finish
            time.sleep(1)

    def stop(self) -> None:
        """Stop nginx first (no new requests), then the instances, then S3."""
        if self.nginx is not None:
            self.nginx.stop(signal.SIGQUIT)
        for instance in self.instances:
            instance.stop(signal.SIGTERM)
        if self.s3 is not None:
            self.s3.stop(signal.SIGTERM)

    def dead(self) -> list[str]:
        """Names of the processes that exited on their own."""
        parts = [self.nginx, self.s3, *self.instances]
        return [part.name for part in parts if part is not None and not part.alive()]


def main() -> int:
    """Run the cluster in the foreground until Ctrl-C (or SIGTERM)."""
    database = os.environ.get("CLUSTER_DATABASE_URL",
                              "mysql+pymysql://root@127.0.0.1:3306/signet_cluster")
    spec = ClusterSpec(workdir=ROOT / "instance" / "cluster",
                       database_url=database + ("&" if "?" in database else "?")
                       + "charset=utf8mb4",
                       storage=os.environ.get("CLUSTER_STORAGE", "s3"))
    return run_in_foreground(
        lambda: Cluster(spec), command="make cluster",
        describe=lambda cluster: (
            f"Signet on {cluster.url} (nginx) -> "
            + ", ".join(i.url or "" for i in cluster.instances)
            + f"; S3 (moto) on {cluster.s3_url}, storage={spec.storage}; "
            f"logs in {spec.workdir}."))

if __name__ == "__main__":
    sys.exit(main())
