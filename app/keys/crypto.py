"""Key pairs made by joserfc, and the sealing of their private halves (Fernet).

No cryptography is written here: joserfc generates the keys and computes the RFC 7638
thumbprint that names them; cryptography's Fernet encrypts the private JWK at rest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cryptography.fernet import InvalidToken
from joserfc.jwk import ECKey, OKPKey, RSAKey

from app.keys import settings
from app.settings import ConfigError

RSA_BITS = 2048
USE = "sig"


@dataclass(frozen=True)
class NewKey:
    """A freshly generated key pair, as JWKs carrying kid, alg and use."""

    kid: str
    alg: str
    public_jwk: dict
    private_jwk: dict


def generate(alg: str) -> NewKey:
    """A new key pair for `alg` (ES256: P-256, EdDSA: Ed25519, RS256: 2048-bit RSA)."""
    if alg == "ES256":
        key = ECKey.generate_key("P-256", private=True)
    elif alg == "EdDSA":
        key = OKPKey.generate_key("Ed25519", private=True)
    elif alg == "RS256":
        key = RSAKey.generate_key(RSA_BITS, private=True)
    else:
        raise ValueError(f"no signing keys for {alg!r}")
    labels = {"kid": key.thumbprint(), "alg": alg, "use": USE}
    return NewKey(kid=labels["kid"], alg=alg,
                  public_jwk={**key.as_dict(private=False), **labels},
                  private_jwk={**key.as_dict(private=True), **labels})


def seal(private_jwk: dict) -> str:
    """The private JWK encrypted with the newest SIGNING_KEY_ENCRYPTION_KEY."""
    return settings.encryption().encrypt(json.dumps(private_jwk).encode()).decode()


def unseal(sealed: str) -> dict:
    """The private JWK back from its sealed form."""
    try:
        return json.loads(settings.encryption().decrypt(sealed.encode()))
    except InvalidToken as error:
        raise ConfigError("A private signing key cannot be decrypted with "
                          "SIGNING_KEY_ENCRYPTION_KEY: was the key that sealed it removed "
                          "(keep it after the new one until `flask keys reseal` ran)?") from error


def reseal(sealed: str) -> str:
    """The same private JWK, encrypted again with the newest key."""
    return settings.encryption().rotate(sealed.encode()).decode()
