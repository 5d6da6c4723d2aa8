"""Drive the officer web view through the Chalice test client exactly like a browser.

GET /petugas/masuk gives the `aduan_masuk` cookie and the hidden `csrf` field; POSTing the form (`csrf`,
`username`, `password`, form-urlencoded) answers 303 with `Set-Cookie: aduan_sesi=…`. Later POSTs carry the
`csrf` value found in the pages' forms. A `Browser` keeps its cookies and the last page's CSRF token.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}
ACCEPT = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}  # as a browser sends (binary answers need it)
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_HIDDEN = r'name="{name}" value="([^"]*)"'


def cookie_value(response, name: str) -> str | None:
    """The value a response sets for cookie `name` (None if it sets none)."""
    raw = response.headers.get("Set-Cookie") or response.headers.get("set-cookie") or ""
    values = raw if isinstance(raw, list) else [raw]
    for header in values:
        match = re.search(rf"(?:^|[;,]\s*){re.escape(name)}=([^;]*)", header)
        if match:
            return match.group(1)
    return None


def hidden_value(page: str, name: str) -> str | None:
    """The value of the first hidden (or any) input named `name` in an HTML page."""
    match = re.search(_HIDDEN.format(name=re.escape(name)), page)
    return html.unescape(match.group(1)) if match else None


def text_of(response) -> str:
    return response.body.decode("utf-8", "replace") if isinstance(response.body, bytes) else str(response.body)


@dataclass
class Browser:
    """Cookies, the CSRF token of the last page opened, and the last response."""

    api: object
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""
    username: str = ""
    last: object = field(default=None, repr=False)

    @property
    def session(self) -> str:
        return self.cookies.get("aduan_sesi", "")

    def headers(self, extra: dict | None = None) -> dict:
        headers = {**ACCEPT, **(extra or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def _keep(self, response) -> None:
        self.last = response
        raw = response.headers.get("Set-Cookie") or response.headers.get("set-cookie")
        for header in raw if isinstance(raw, list) else [raw] if raw else []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in header or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def get(self, path: str, **params: str):
        """GET a page; keyword arguments become the query string (`get("/petugas/", status="BARU")`)."""
        if params:
            path += ("&" if "?" in path else "?") + urlencode(params)
        response = self.api.http.get(path, headers=self.headers())
        self._keep(response)
        found = _CSRF.search(text_of(response)) if response.status_code < 500 else None
        if found:
            self.csrf = found.group(1)
        return response

    def post(self, path: str, fields: dict | list | None = None, *, csrf: str | None = None):
        """POST a form (a dict, or a list of pairs for repeated names) with the last page's CSRF token."""
        pairs = list(fields.items()) if isinstance(fields, dict) else list(fields or [])
        if not any(name == "csrf" for name, _ in pairs):
            pairs.insert(0, ("csrf", self.csrf if csrf is None else csrf))
        response = self.api.http.post(path, headers=self.headers(FORM_HEADERS), body=urlencode(pairs))
        self._keep(response)
        return response

    def follow(self, target):
        """GET where a redirect response points, or a link taken from a page (`href` text, still escaped)."""
        if isinstance(target, str):
            location = html.unescape(target)
        else:
            assert target.status_code in (302, 303), (target.status_code, text_of(target)[:500])
            location = target.headers["Location"]
        parts = urlsplit(location)
        return self.get(parts.path + (f"?{parts.query}" if parts.query else ""))

    def sign_in(self, username: str, password: str, next_path: str = ""):
        """Fill in and send the sign-in form; the answer (303 on success, 401/429 page otherwise)."""
        self.get("/petugas/masuk" + (f"?lanjut={next_path}" if next_path else ""))
        form = {"username": username, "password": password}
        if next_path:
            form["lanjut"] = next_path
        answer = self.post("/petugas/masuk", form)
        if answer.status_code == 303:
            self.username = username
            self.get("/petugas/akun")  # any page: picks up the session's CSRF token for later forms
            self.last = answer
        return answer


def sign_in(api, username: str, password: str) -> Browser:
    """Sign in through the form at /petugas/masuk; returns a browser holding the session."""
    browser = Browser(api)
    answer = browser.sign_in(username, password)
    assert answer.status_code == 303, (answer.status_code, text_of(answer)[:500])
    assert browser.session, "a successful sign-in sets the aduan_sesi cookie"
    assert browser.csrf, "signed-in pages carry the csrf field"
    return browser
