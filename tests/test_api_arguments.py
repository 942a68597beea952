"""`Blueprint.arguments` builds its schema once, and a reused schema keeps no state."""

from __future__ import annotations

from flask import Flask
from flask.views import MethodView
from marshmallow import Schema, fields

from app.api import Api, Blueprint


class CountedArgs(Schema):
    """Query arguments that count how often the schema is built."""

    built = 0
    limit = fields.Integer(load_default=1)
    cursor = fields.String(load_default=None)

    def __init__(self, *args, **kwargs) -> None:
        type(self).built += 1
        super().__init__(*args, **kwargs)


def make_app() -> Flask:
    app = Flask(__name__)
    app.config.update(API_TITLE="t", API_VERSION="1", OPENAPI_VERSION="3.0.3")
    api = Api(app)
    blp = Blueprint("counted", __name__, url_prefix="/counted")

    @blp.route("")
    class Counted(MethodView):
        @blp.arguments(CountedArgs, location="query")
        @blp.response(200)
        def get(self, query):
            return query

    api.register_blueprint(blp)
    return app


def test_a_schema_class_is_built_once_not_per_request():
    CountedArgs.built = 0
    client = make_app().test_client()
    built_at_startup = CountedArgs.built

    answers = [client.get(path).get_json()
               for path in ("/counted?limit=3&cursor=abc", "/counted", "/counted?limit=7")]

    # Each request sees only its own arguments: nothing is left over from the one before.
    assert answers == [{"limit": 3, "cursor": "abc"}, {"limit": 1, "cursor": None},
                       {"limit": 7, "cursor": None}]
    assert built_at_startup == 1
    assert CountedArgs.built == built_at_startup
