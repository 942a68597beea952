"""Stored token hashes and derived keys must not change: rows and ciphertexts rely on them."""

from __future__ import annotations

from app.hashing import derive_key, token_hash


def test_a_token_is_stored_as_its_sha256_in_hex_whether_text_or_bytes():
    # SHA-256("abc"), FIPS 180-2's test vector: every stored token hash was made this way.
    expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert token_hash("abc") == token_hash(b"abc") == expected


def test_derived_keys_are_the_ones_already_in_use():
    # HKDF-SHA256, no salt, 32 bytes: mfa_tokens signed and TOTP secrets encrypted before
    # the derivation moved here must still verify and decrypt.
    assert derive_key("secret", purpose=b"signet mfa token signing").hex() == (
        "6f8f0f4453a5219b6f2d1baf6ed67433e573f8cb571faeb53383eee9a2034131")
    assert derive_key("secret", purpose=b"signet mfa totp secret encryption").hex() != (
        derive_key("secret", purpose=b"signet mfa token signing").hex())
