"""The secrets a local cluster's instances share, including the signing-key seal."""

from __future__ import annotations

from cryptography.fernet import Fernet

from deploy.cluster import cluster_secrets


def test_every_instance_gets_the_same_secrets_and_a_usable_seal(tmp_path):
    first = cluster_secrets(tmp_path)

    assert set(first) == {"SECRET_KEY", "JWT_SECRET_KEY", "SIGNING_KEY_ENCRYPTION_KEY"}
    assert cluster_secrets(tmp_path) == first
    assert Fernet(first["SIGNING_KEY_ENCRYPTION_KEY"]).decrypt(
        Fernet(first["SIGNING_KEY_ENCRYPTION_KEY"]).encrypt(b"x")) == b"x"
    assert (tmp_path / "secrets.env").stat().st_mode & 0o777 == 0o600


def test_a_workdir_from_before_the_seal_keeps_its_secrets_and_gains_the_seal(tmp_path):
    (tmp_path / "secrets.env").write_text("SECRET_KEY=old-secret\nJWT_SECRET_KEY=old-jwt\n")

    secrets = cluster_secrets(tmp_path)

    assert secrets["SECRET_KEY"] == "old-secret" and secrets["JWT_SECRET_KEY"] == "old-jwt"
    assert cluster_secrets(tmp_path)["SIGNING_KEY_ENCRYPTION_KEY"] == secrets[
        "SIGNING_KEY_ENCRYPTION_KEY"]
