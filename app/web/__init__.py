"""Browser surface: server-rendered pages and the HTML form-post layer over the API."""

from flask import Flask
from flask_smorest import Api

from app.web import file_pages  # noqa: F401 - adds the /files page to the blueprint
from app.web.forms import init_form_posts
from app.web.pages import blp as pages_blp


def init_web(app: Flask, api: Api) -> None:
    """Mount the pages (documented in OpenAPI like every route) and the form layer."""
    api.register_blueprint(pages_blp)
    init_form_posts(app)
