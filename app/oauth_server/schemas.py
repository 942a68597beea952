"""Schemas of the admin client API and the user's grants."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.oauth_server.clients import MAX_URI_LENGTH, MAX_URIS
from app.oauth_server.models import CONFIDENTIAL, PUBLIC
from app.oauth_server.scopes import SUPPORTED
from app.schemas import TrimmedString, visible_text

_uris = fields.List(fields.String(validate=validate.Length(min=1, max=MAX_URI_LENGTH)),
                    validate=validate.Length(max=MAX_URIS))
_scopes = fields.List(fields.String(validate=validate.OneOf(SUPPORTED)),
                      validate=validate.Length(min=1, max=len(SUPPORTED)))


class ClientForm(Schema):
    """POST /oauth/clients."""

    name = TrimmedString(required=True, validate=[validate.Length(min=1, max=100),
                                                  visible_text])
    redirect_uris = fields.List(
        fields.String(validate=validate.Length(min=1, max=MAX_URI_LENGTH)),
        data_key="redirectUris", required=True,
        validate=validate.Length(min=1, max=MAX_URIS),
        metadata={"description": "Matched exactly (no prefixes, no patterns)."})
    client_type = fields.String(data_key="type", required=True,
                                validate=validate.OneOf([PUBLIC, CONFIDENTIAL]),
                                metadata={"description": "public: no secret, PKCE required."})
    scopes = fields.List(fields.String(validate=validate.OneOf(SUPPORTED)), required=True,
                         validate=validate.Length(min=1, max=len(SUPPORTED)))
    first_party = fields.Boolean(data_key="firstParty", load_default=False,
                                 metadata={"description": "true: users are never asked to "
                                                          "consent."})
    post_logout_redirect_uris = fields.List(
        fields.String(validate=validate.Length(min=1, max=MAX_URI_LENGTH)),
        data_key="postLogoutRedirectUris", load_default=list,
        validate=validate.Length(max=MAX_URIS))


class ClientPatch(Schema):
    """PATCH /oauth/clients/{clientId}: any of the fields, type excepted."""

    name = TrimmedString(validate=[validate.Length(min=1, max=100), visible_text])
    redirect_uris = fields.List(
        fields.String(validate=validate.Length(min=1, max=MAX_URI_LENGTH)),
        data_key="redirectUris", validate=validate.Length(min=1, max=MAX_URIS))
    scopes = _scopes
    first_party = fields.Boolean(data_key="firstParty")
    post_logout_redirect_uris = fields.List(
        fields.String(validate=validate.Length(min=1, max=MAX_URI_LENGTH)),
        data_key="postLogoutRedirectUris", validate=validate.Length(max=MAX_URIS))


class ClientOut(Schema):
    """An application (never its secret)."""

    client_id = fields.String(data_key="clientId")
    name = fields.String()
    client_type = fields.String(data_key="type")
    redirect_uris = fields.List(fields.String(), data_key="redirectUris")
    post_logout_redirect_uris = fields.List(fields.String(), data_key="postLogoutRedirectUris")
    scopes = fields.List(fields.String(), attribute="scope_list")
    first_party = fields.Boolean(data_key="firstParty")
    created_at = fields.AwareDateTime(data_key="createdAt")
    updated_at = fields.AwareDateTime(data_key="updatedAt")


class ClientCreated(ClientOut):
    """The answer to creating an application or rotating its secret."""

    client_secret = fields.String(attribute="secret", data_key="clientSecret", allow_none=True,
                                  metadata={"description": "Shown only here; null for a "
                                                           "public client."})


class ClientList(Schema):
    """Every application, newest first."""

    items = fields.List(fields.Nested(ClientOut))


class GrantOut(Schema):
    """An application the user let in, and what it may do."""

    id = fields.Integer()
    application = fields.Dict(metadata={"description": "{clientId, name}"})
    scopes = fields.List(fields.String())
    created_at = fields.AwareDateTime(data_key="createdAt")
    last_used_at = fields.AwareDateTime(data_key="lastUsedAt", allow_none=True)


class GrantList(Schema):
    """The user's grants, newest first."""

    items = fields.List(fields.Nested(GrantOut))


def grant_items(rows) -> list[dict]:
    """(grant, client) rows as GrantOut dicts."""
    return [{"id": grant.id, "application": {"clientId": client.client_id, "name": client.name},
             "scopes": grant.scopes.split(), "created_at": grant.created_at,
             "last_used_at": grant.last_used_at} for grant, client in rows]
