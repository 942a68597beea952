"""Development secrets: one value per checkout, whatever number of workers start at once."""

from __future__ import annotations

import multiprocessing

from app.settings.local import development_secret


def read_after(barrier, directory, results) -> None:
    barrier.wait()  # every process asks at the same moment
    results.put(development_secret("JWT_SECRET_KEY", directory))


def test_workers_starting_at_once_share_one_complete_secret(tmp_path):
    directory = tmp_path / "instance"
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(8), context.Queue()
    workers = [context.Process(target=read_after, args=(barrier, directory, results))
               for _ in range(8)]
    for worker in workers:
        worker.start()
    values = [results.get(timeout=30) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)

    assert len(set(values)) == 1 and len(values[0]) >= 64  # 48 random bytes, base64url
    [path] = directory.iterdir()  # the secret, and no scratch file left behind
    assert path.name == ".jwt_secret_key" and path.stat().st_mode & 0o077 == 0
    assert development_secret("JWT_SECRET_KEY", directory) == values[0]
