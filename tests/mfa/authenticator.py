"""A software WebAuthn authenticator: EC P-256 keys, attestation 'none', real signatures.

It builds the same bytes a security key or a phone would (authenticator data, CBOR
attestation object, client data JSON, an ECDSA signature), so the server's py_webauthn
verification runs for real.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

FLAG_UP, FLAG_UV, FLAG_AT = 0x01, 0x04, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class StoredCredential:
    """A resident credential: its id, private key, user handle and counter."""

    credential_id: bytes
    key: ec.EllipticCurvePrivateKey
    user_handle: bytes
    sign_count: int = 0


class SoftwareAuthenticator:
    """navigator.credentials.create/get, answered in Python for one origin."""

    def __init__(self, origin: str, rp_id: str | None = None):
        self.origin = origin
        self.rp_id = rp_id
        self.credentials: list[StoredCredential] = []

    def create(self, options: dict) -> dict:
        """Answer PublicKeyCredentialCreationOptions (JSON) with a new credential."""
        rp_id = self.rp_id or options["rp"]["id"]
        stored = StoredCredential(os.urandom(32), ec.generate_private_key(ec.SECP256R1()),
                                  unb64url(options["user"]["id"]))
        self.credentials.append(stored)
        numbers = stored.key.public_key().public_numbers()
        cose_key = {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                    -3: numbers.y.to_bytes(32, "big")}
        auth_data = (hashlib.sha256(rp_id.encode()).digest()
                     + bytes([FLAG_UP | FLAG_UV | FLAG_AT]) + (0).to_bytes(4, "big")
                     + bytes(16) + len(stored.credential_id).to_bytes(2, "big")
                     + stored.credential_id + cbor2.dumps(cose_key))
        client_data = self._client_data("webauthn.create", options["challenge"])
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {"id": b64url(stored.credential_id), "rawId": b64url(stored.credential_id),
                "type": "public-key", "clientExtensionResults": {},
                "response": {"clientDataJSON": b64url(client_data),
                             "attestationObject": b64url(attestation)}}

    def get(self, options: dict, *, credential: StoredCredential | None = None,
            user_verified: bool = True) -> dict:
        """Answer PublicKeyCredentialRequestOptions (JSON) with a signed assertion."""
        stored = credential or self.credentials[-1]
        rp_id = self.rp_id or options["rpId"]
        stored.sign_count += 1
        flags = FLAG_UP | (FLAG_UV if user_verified else 0)
        auth_data = (hashlib.sha256(rp_id.encode()).digest() + bytes([flags])
                     + stored.sign_count.to_bytes(4, "big"))
        client_data = self._client_data("webauthn.get", options["challenge"])
        signature = stored.key.sign(auth_data + hashlib.sha256(client_data).digest(),
                                    ec.ECDSA(hashes.SHA256()))
        return {"id": b64url(stored.credential_id), "rawId": b64url(stored.credential_id),
                "type": "public-key", "clientExtensionResults": {},
                "response": {"clientDataJSON": b64url(client_data),
                             "authenticatorData": b64url(auth_data),
                             "signature": b64url(signature),
                             "userHandle": b64url(stored.user_handle)}}

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": self.origin,
                           "crossOrigin": False}).encode()
