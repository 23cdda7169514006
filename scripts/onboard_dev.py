"""Finish Home Assistant's onboarding for scripts/develop with a development owner account.

Usage: python scripts/onboard_dev.py http://127.0.0.1:PORT USERNAME PASSWORD
Does nothing once the owner exists; otherwise prints `USERNAME / PASSWORD`.
Uses only the standard library (it runs at every start).
"""

import json
import sys
from typing import Any
import urllib.error
import urllib.parse
import urllib.request


def call(url: str, data: bytes | None, headers: dict[str, str]) -> Any:
    """POST (or GET without data) and return the JSON answer."""
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        body = response.read()
        return json.loads(body) if body else {}


def main(base: str, username: str, password: str) -> None:
    """Create the owner, then finish the analytics and integration steps; say so on stdout."""
    try:
        steps = call(f"{base}/api/onboarding", None, {})
    except urllib.error.HTTPError as err:
        if err.code == 404:  # onboarding finished: Home Assistant no longer serves its views
            return
        raise
    if any(step["step"] == "user" and step["done"] for step in steps):
        return
    client_id = f"{base}/"
    as_json = {"Content-Type": "application/json"}
    user = {"client_id": client_id, "name": "Developer", "username": username}
    user |= {"password": password, "language": "en"}
    code = call(f"{base}/api/onboarding/users", json.dumps(user).encode(), as_json)["auth_code"]
    form = {"grant_type": "authorization_code", "code": code, "client_id": client_id}
    token = call(f"{base}/auth/token", urllib.parse.urlencode(form).encode(), {})["access_token"]
    auth = {**as_json, "Authorization": f"Bearer {token}"}
    call(f"{base}/api/onboarding/analytics", b"{}", auth)
    redirect = {"client_id": client_id, "redirect_uri": f"{base}/?auth_callback=1"}
    call(f"{base}/api/onboarding/integration", json.dumps(redirect).encode(), auth)
    print(f"{username} / {password}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
