#!/usr/bin/env python3
"""Log in through the authorization-code flow with PKCE, for the conformance
suite's --login-command (docs/oauth.md). Python 3 standard library only.

Reads, from its environment (the suite sets them; never from argv):
  CONFORMANCE_TARGET        the provider's base URL
  CONFORMANCE_USERNAME      the account to log in as (sent as login_hint)
  CONFORMANCE_CLIENT_ID     the client (or OAUTH_CLIENT_ID)
  CONFORMANCE_REDIRECT_URI  one of its registered redirect URIs (or OAUTH_REDIRECT_URI)
  CONFORMANCE_CLIENT_SECRET a confidential client's secret (optional)
  CONFORMANCE_NAMESPACE     the mock namespace to send as x-mock-namespace (optional)

Finds the endpoints in the discovery document, sends the authorization
request with an S256 code_challenge, state, nonce and login_hint (the mock
then skips its account picker), reads the code from the redirect without
following it, checks state, exchanges the code with the code_verifier, checks
the ID token's nonce, and prints the token response JSON on stdout. Any
failure is one line on stderr and exit status 1.

A real provider shows a login page instead of honouring login_hint: script
that page (a headless browser) in a command of your own; the contract with
the suite is the same.
"""

import base64
import hashlib
import json
import os
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request

TIMEOUT = 20


def fail(message):
    print(f"authcode-login: {message}", file=sys.stderr)
    sys.exit(1)


def env(*names, required=True):
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    if required:
        fail(f"{' or '.join(names)} is not set")
    return None


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def send(url, headers, data=None):
    """(status, headers, body) of one request; redirects are not followed."""
    req = urllib.request.Request(url, data=data, headers=headers)
    try:
        with OPENER.open(req, timeout=TIMEOUT) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()
    except (urllib.error.URLError, OSError) as e:
        fail(f"{url}: {e}")


def main():
    target = env("CONFORMANCE_TARGET").rstrip("/")
    username = env("CONFORMANCE_USERNAME")
    client_id = env("CONFORMANCE_CLIENT_ID", "OAUTH_CLIENT_ID")
    redirect_uri = env("CONFORMANCE_REDIRECT_URI", "OAUTH_REDIRECT_URI")
    secret = env("CONFORMANCE_CLIENT_SECRET", required=False)
    namespace = env("CONFORMANCE_NAMESPACE", required=False)
    headers = {"accept": "application/json"}
    if namespace:
        headers["x-mock-namespace"] = namespace

    status, _, body = send(f"{target}/.well-known/openid-configuration", headers)
    if status != 200:
        fail(f"the discovery document answered {status}")
    try:
        discovery = json.loads(body)
        authorize = discovery["authorization_endpoint"]
        token = discovery["token_endpoint"]
    except (ValueError, KeyError) as e:
        fail(f"the discovery document has no {e}")

    verifier = b64url(secrets.token_bytes(32))
    challenge = b64url(hashlib.sha256(verifier.encode("ascii")).digest())
    state = secrets.token_urlsafe(16)
    nonce = secrets.token_urlsafe(16)
    query = urllib.parse.urlencode({
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid",
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "login_hint": username,
    })
    sep = "&" if "?" in authorize else "?"
    status, got, _ = send(f"{authorize}{sep}{query}", headers)
    location = got.get("location") if got else None
    if status not in (302, 303) or not location:
        fail(f"the authorization request answered {status} without a redirect")
    back = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    if back.get("state") != state:
        fail("the redirect does not carry the request's state")
    if "error" in back:
        fail(f"the provider refused: {back['error']}: {back.get('error_description', '')}")
    code = back.get("code") or fail("the redirect carries no code")

    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": client_id,
        "code_verifier": verifier,
    }
    if secret:
        form["client_secret"] = secret
    token_headers = dict(headers, **{"content-type": "application/x-www-form-urlencoded"})
    status, _, body = send(token, token_headers, urllib.parse.urlencode(form).encode("ascii"))
    try:
        tokens = json.loads(body)
    except ValueError:
        fail(f"the token endpoint answered {status} without JSON")
    if status != 200:
        fail(f"the token endpoint answered {status}: {tokens.get('error', '')}")
    id_token = tokens.get("id_token")
    if id_token:
        try:
            payload = id_token.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (IndexError, ValueError):
            fail("the ID token is not a JWT")
        if claims.get("nonce") != nonce:
            fail("the ID token does not carry the request's nonce")
    json.dump(tokens, sys.stdout)
    print()


if __name__ == "__main__":
    main()
