"""A person's browser for the relying-party tests: signs in and consents over HTTP."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests

from tests.oauth_server.helpers import BROWSER, PASSWORD


class Browser:
    """requests with cookies, answering Signet's sign-in and consent pages."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()
        self.http.headers.update(BROWSER)

    def sign_in(self, email: str) -> None:
        """The sign-in form, posted as the page does."""
        response = self.http.post(f"{self.base}/api/v1/auth/login", allow_redirects=False,
                                  data={"email": email, "password": PASSWORD,
                                        "next": "/profile"})
        assert response.status_code == 303, response.text

    def authorize(self, url: str, *, allow: bool = True) -> str:
        """Open the application's authorization URL; consent; the callback URL it gets."""
        response = self.http.get(url, allow_redirects=False)
        if response.status_code == 200 and 'id="consent-form"' in response.text:
            params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
            response = self.http.post(f"{self.base}/oauth/authorize", allow_redirects=False,
                                      data={**params, "decision": "allow" if allow else "deny",
                                            "csrf_token": self.http.cookies["csrf_access_token"]})
        assert response.status_code == 302, (response.status_code, response.text[:500])
        return response.headers["Location"]

    def user_headers(self, email: str) -> dict:
        """A bearer token of the user's own (an API sign-in), for the grants API."""
        body = requests.post(f"{self.base}/api/v1/auth/login",
                             json={"email": email, "password": PASSWORD}, timeout=30).json()
        return {"Authorization": f"Bearer {body['access_token']}"}
