"""GET /.well-known/jwks.json: the public keys that verify Signet's tokens."""

from __future__ import annotations

from flask import jsonify, request
from flask.views import MethodView
from marshmallow import Schema, fields

from app.api import Blueprint
from app.keys import settings
from app.keys.signing import published_jwks
from app.scopes import OPEN

blp = Blueprint("keys", __name__, url_prefix="/.well-known",
                description="Public signing keys (JWKS) for services verifying Signet's tokens.")

# A verifier caching the JWKS this long still fetches a rotated key well before it signs
# (it is published SIGNING_KEY_PUBLISH_SECONDS ahead); a retired one lingers no longer.
MAX_AGE_SECONDS = 300


class JwkSetOut(Schema):
    """RFC 7517 JWK Set."""

    keys = fields.List(fields.Dict(), metadata={"description": (
        "Public JWKs with `kid`, `alg` (ES256, EdDSA or RS256) and `use: sig`.")})


@blp.route("/jwks.json")
class Jwks(MethodView):
    """The published keys."""

    @blp.token_scope(OPEN)
    @blp.response(200, JwkSetOut, description=(
        "Cacheable (`Cache-Control: public, max-age`, ETag; 304 to `If-None-Match`)."))
    def get(self):
        """Every key that verifies a live token, the one signing now and the next one."""
        response = jsonify(published_jwks())
        response.cache_control.public = True
        response.cache_control.max_age = min(MAX_AGE_SECONDS, settings.publish_seconds() // 2)
        response.add_etag()
        return response.make_conditional(request)
