#!/usr/bin/env python3
"""Drive a running simplejwt target and record what it really answers.

    record.py BASE_URL SCENARIO > cases.json

SCENARIO is `main` (blacklist on, default TTLs), `expiry` (start the server with
SIMPLEJWT_ACCESS_TTL=2 SIMPLEJWT_REFRESH_TTL=4) or `noblacklist`
(SIMPLEJWT_BLACKLIST=0).  Tokens in the output are replaced by names (<access#1>,
<refresh#2>, ...) so that the recording is stable; only the standard library is used.
"""

import json
import sys
import time
import urllib.error
import urllib.request

BASE = sys.argv[1].rstrip("/")
SCENARIO = sys.argv[2] if len(sys.argv) > 2 else "main"
KEEP_HEADERS = ("content-type", "www-authenticate", "allow", "vary")

names = {}
counter = {"access": 0, "refresh": 0}


def name(token, kind):
    if token not in names:
        counter[kind] += 1
        names[token] = f"<{kind}#{counter[kind]}>"
    return names[token]


def redact(value):
    if isinstance(value, str):
        for token, label in names.items():
            value = value.replace(token, label)
        return value
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    return value


cases = []


def call(title, method, path, body=None, headers=None, raw=None):
    hdrs = dict(headers or {})
    data = None
    if raw is not None:
        data = raw.encode()
        hdrs.setdefault("Content-Type", "application/json")
    elif body is not None:
        data = json.dumps(body).encode()
        hdrs["Content-Type"] = "application/json"
    req = urllib.request.Request(BASE + path, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            status, rh, text = resp.status, resp.headers, resp.read().decode()
    except urllib.error.HTTPError as err:
        status, rh, text = err.code, err.headers, err.read().decode()
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = text
    if isinstance(parsed, dict):
        for key, kind in (("access", "access"), ("refresh", "refresh")):
            if isinstance(parsed.get(key), str):
                name(parsed[key], kind)
    cases.append(
        {
            "title": title,
            "request": redact(
                {
                    "method": method,
                    "path": path,
                    **({"headers": headers} if headers else {}),
                    **({"body": body} if body is not None else {}),
                    **({"rawBody": raw} if raw is not None else {}),
                }
            ),
            "response": {
                "status": status,
                "headers": {k.lower(): v for k, v in rh.items() if k.lower() in KEEP_HEADERS},
                "body": redact(parsed),
            },
        }
    )
    return status, parsed


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def login(user="demo", password="demo", title=None):
    st, b = call(title or f"login {user}", "POST", "/api/token/", {"username": user, "password": password})
    assert st == 200, (st, b)
    return b["access"], b["refresh"]


def main_scenario():
    a1, r1 = login(title="login demo/demo")
    call("login wrong password", "POST", "/api/token/", {"username": "demo", "password": "nope"})
    call("login unknown user", "POST", "/api/token/", {"username": "mallory", "password": "x"})
    call("login empty body", "POST", "/api/token/", {})
    call("login empty strings", "POST", "/api/token/", {"username": "", "password": ""})
    call("login malformed JSON", "POST", "/api/token/", raw="{not json")
    call("login GET (wrong method)", "GET", "/api/token/")
    aa, ra = login("alice", "alice-secret", title="login alice/alice-secret")

    call("protected with access token (demo)", "GET", "/api/me/", headers=bearer(a1))
    call("protected with access token (alice)", "GET", "/api/me/", headers=bearer(aa))
    call("protected without Authorization", "GET", "/api/me/")
    call("protected with garbage bearer", "GET", "/api/me/", headers=bearer("garbage"))
    call("protected with refresh token as bearer", "GET", "/api/me/", headers=bearer(r1))
    call("protected with wrong scheme (Token)", "GET", "/api/me/", headers={"Authorization": f"Token {a1}"})
    call("protected with 'Bearer' and no token", "GET", "/api/me/", headers={"Authorization": "Bearer"})

    st, b = call("refresh with the login refresh token (first use)", "POST", "/api/token/refresh/", {"refresh": r1})
    a2, r2 = b["access"], b["refresh"]
    call("refresh with the same (spent) refresh token again", "POST", "/api/token/refresh/", {"refresh": r1})
    st, b = call("refresh with the rotated refresh token after the reuse (session survives)", "POST", "/api/token/refresh/", {"refresh": r2})
    a3, r3 = b["access"], b["refresh"]
    call("login access token after two refreshes (valid until its exp)", "GET", "/api/me/", headers=bearer(a1))
    call("access from a refresh", "GET", "/api/me/", headers=bearer(a3))
    call("refresh empty body", "POST", "/api/token/refresh/", {})
    call("refresh empty string", "POST", "/api/token/refresh/", {"refresh": ""})
    call("refresh garbage", "POST", "/api/token/refresh/", {"refresh": "garbage"})
    call("refresh with an access token", "POST", "/api/token/refresh/", {"refresh": a3})
    call("refresh with a Bearer header only (ignored)", "POST", "/api/token/refresh/", {}, headers=bearer(a3))

    call("blacklist the live refresh token", "POST", "/api/token/blacklist/", {"refresh": r3})
    call("blacklist the same refresh token again", "POST", "/api/token/blacklist/", {"refresh": r3})
    call("refresh with the blacklisted refresh token", "POST", "/api/token/refresh/", {"refresh": r3})
    call("access token after blacklisting its session's refresh token", "GET", "/api/me/", headers=bearer(a3))
    call("blacklist garbage", "POST", "/api/token/blacklist/", {"refresh": "garbage"})
    call("blacklist empty body", "POST", "/api/token/blacklist/", {})
    call("blacklist with an access token", "POST", "/api/token/blacklist/", {"refresh": a3})
    call("blacklist the spent (rotated-out) login refresh token", "POST", "/api/token/blacklist/", {"refresh": r1})
    call("alice's refresh still works after demo's blacklist", "POST", "/api/token/refresh/", {"refresh": ra})


def expiry_scenario():
    a1, r1 = login(title="login demo/demo (ACCESS_TTL=2s, REFRESH_TTL=4s)")
    call("protected with fresh access", "GET", "/api/me/", headers=bearer(a1))
    time.sleep(3)
    call("protected with expired access (3s > 2s)", "GET", "/api/me/", headers=bearer(a1))
    st, b = call("refresh still live (3s < 4s)", "POST", "/api/token/refresh/", {"refresh": r1})
    time.sleep(2)
    call("refresh with the expired login refresh token (5s > 4s; also spent)", "POST", "/api/token/refresh/", {"refresh": r1})
    call("refresh with the rotated token, 5s after login but 2s after its issue (full new lifetime)", "POST", "/api/token/refresh/", {"refresh": b["refresh"]})
    a2, r2 = login(title="login again")
    time.sleep(5)
    call("refresh with expired, never-used refresh", "POST", "/api/token/refresh/", {"refresh": r2})
    call("blacklist expired refresh", "POST", "/api/token/blacklist/", {"refresh": r2})


def noblacklist_scenario():
    a1, r1 = login(title="login demo/demo (blacklist app off)")
    call("refresh with the login refresh token", "POST", "/api/token/refresh/", {"refresh": r1})
    call("refresh with the same refresh token again (no blacklist: accepted)", "POST", "/api/token/refresh/", {"refresh": r1})
    call("blacklist route absent", "POST", "/api/token/blacklist/", {"refresh": r1})


{"main": main_scenario, "expiry": expiry_scenario, "noblacklist": noblacklist_scenario}[SCENARIO]()
json.dump({"scenario": SCENARIO, "cases": cases}, sys.stdout, indent=2)
print()
