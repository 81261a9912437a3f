"""Schemathesis auth hook: log in the way the spec's `x-token-lifecycle` says.

Loaded by Schemathesis 4 with `SCHEMATHESIS_HOOKS=schemathesis_hooks` (this
directory on PYTHONPATH; `scripts/bench/schemathesis.sh --login` does both).
Generic: nothing about a particular API is written here, everything is read
from the spec (docs/bindings.md is the vocabulary).

Environment:
  AUTH_HOOK_SPEC     the spec file (OpenAPI 3.x or Swagger 2.0, YAML or JSON); required
  AUTH_HOOK_URL      the target's base URL (default: the operation's base URL)
  AUTH_HOOK_REFRESH  seconds a token is reused before a new login (default 10)
  AUTH_HOOK_LOG      a file to append a line to per login ("login N ok") and per
                     case given a credential ("set CASE_ID token|client"); never
                     a token or a password (optional)

The login, once per refresh interval and again whenever an authenticated
request is answered 401 (Schemathesis's `retry_on`, which re-logs in and
replays the request once: its own logout, revoke and refresh requests end
the hook's session now and then):

* a `login` binding: its request is built from the operation's request body
  example (else the smallest body its schema allows), with the first
  account of the root's `accounts` at the binding's `username` and
  `password`, the binding's `when` places set, and the client's credentials
  where the binding's `client` says (`client_secret_basic`: HTTP Basic with
  the first root client that has a secret; `client_secret_post` and `none`:
  the body places `id`/`secret`); the access token is read at
  `issue.accessToken`;
* no `login` but `authorize` and `exchange-code` bindings (an OpenID
  provider): the authorization-code flow with PKCE (S256), with
  `login_hint` naming the account (the mock then skips its account picker,
  docs/oauth.md), the redirect read without following it, the code
  exchanged at the `exchange-code` operation with its `code`,
  `redirectUri`, `codeVerifier` and client places.

Where the token goes, per operation (the first that applies):

1. the operation's binding reads an access token (`accessToken`, with its
   `scheme`): there;
2. the operation's security (or the document's): the first alternative
   whose every scheme the hook can fill: http `bearer`, `oauth2`,
   `openIdConnect` -> `Authorization: Bearer TOKEN`; `apiKey` -> its header,
   query parameter or cookie; http `basic` -> the client's id and secret
   (the OAuth client authentication of token, revocation and introspection
   endpoints), when the root declares a client with a secret;
3. a parameter the operation declares at a place where some binding reads
   its access token (the mock checks the token there too, bindings.md
   "Operations without a binding").

Operations with none of these get nothing (their `get` is not even called).
A negative test case that deliberately broke the parameter the token goes
in keeps it broken.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import os
import secrets
import threading
import time
import urllib.parse

import requests
import schemathesis
import yaml

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
TIMEOUT = 20


class HookError(Exception):
    pass


def _load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def _pointer_get(doc, pointer):
    node = doc
    for part in pointer.lstrip("/").split("/") if pointer not in ("", "/") else []:
        part = urllib.parse.unquote(part).replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(part)]
        else:
            node = node[part]
    return node


def _pointer_set(doc, pointer, value):
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]
    node = doc
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[parts[-1]] = value


class Spec:
    """What the hook needs of the spec: bindings, accounts, clients, security."""

    def __init__(self, doc):
        self.doc = doc
        self.swagger2 = "swagger" in doc
        root = doc.get("x-token-lifecycle") or {}
        self.accounts = root.get("accounts") or []
        self.clients = root.get("clients") or []
        if self.swagger2:
            self.schemes = doc.get("securityDefinitions") or {}
        else:
            self.schemes = (doc.get("components") or {}).get("securitySchemes") or {}
        self.operations = []  # (method, path, op, path_item)
        for path, item in (doc.get("paths") or {}).items():
            item = self.resolve(item)
            for method in METHODS:
                if isinstance(item.get(method), dict):
                    self.operations.append((method, path, item[method], item))
        # Every place a binding reads an access token, for rule 3.
        self.token_places = []
        for _, _, op, _ in self.operations:
            for binding in self.bindings(op):
                place = _location(binding.get("accessToken"))
                if place and place not in self.token_places:
                    self.token_places.append(place)

    def resolve(self, node, depth=0):
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#"):
            if depth > 50:
                raise HookError(f"$ref loop at {node['$ref']}")
            node = _pointer_get(self.doc, node["$ref"][1:])
            depth += 1
        return node

    @staticmethod
    def bindings(op):
        ext = op.get("x-token-lifecycle")
        if isinstance(ext, dict):
            return [ext]
        if isinstance(ext, list):
            return [b for b in ext if isinstance(b, dict)]
        return []

    def find(self, action):
        for method, path, op, item in self.operations:
            for binding in self.bindings(op):
                if binding.get("action") == action:
                    return method, path, op, item, binding
        return None

    def operation(self, method, path):
        for m, p, op, item in self.operations:
            if m == method.lower() and p == path:
                return op, item
        return None, None

    def parameters(self, op, item):
        seen = {}
        for param in (item.get("parameters") or []) + (op.get("parameters") or []):
            param = self.resolve(param)
            seen[(param.get("in"), param.get("name"))] = param
        return list(seen.values())

    # -- where the token goes ------------------------------------------------

    def placement(self, method, path):
        """A list of (kind, in, name, scheme) the operation's credential fills, or None."""
        op, item = self.operation(method, path)
        if op is None:
            return None
        for binding in self.bindings(op):
            place = _location(binding.get("accessToken"))
            if place:
                return [("token",) + place]
        security = op.get("security", self.doc.get("security"))
        for alternative in security or []:
            if not alternative:
                continue
            places = []
            for name in alternative:
                place = self._scheme_place(name)
                if place is None:
                    places = None
                    break
                places.append(place)
            if places:
                return places
        for param in self.parameters(op, item):
            for where, name, scheme in self.token_places:
                same = name.lower() == str(param.get("name", "")).lower() if where == "header" else name == param.get("name")
                if param.get("in") == where and same:
                    return [("token", where, param.get("name"), scheme)]
        return None

    def _scheme_place(self, name):
        scheme = self.schemes.get(name)
        if not isinstance(scheme, dict):
            return None
        kind = scheme.get("type")
        if kind == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
            return ("token", "header", "Authorization", "Bearer")
        if kind in ("oauth2", "openIdConnect"):
            return ("token", "header", "Authorization", "Bearer")
        if kind == "apiKey" and scheme.get("in") in ("header", "query", "cookie"):
            return ("token", scheme["in"], scheme.get("name"), None)
        if (kind == "http" and str(scheme.get("scheme", "")).lower() == "basic") or kind == "basic":
            if self.confidential_client():
                return ("client", "header", "Authorization", "Basic")
        return None

    def confidential_client(self):
        for client in self.clients:
            if isinstance(client, dict) and client.get("id") and client.get("secret"):
                return client
        return None

    # -- request bodies ---------------------------------------------------------

    def request_body(self, op):
        """(media type, base body) for an operation's request."""
        if self.swagger2:
            consumes = op.get("consumes") or self.doc.get("consumes") or ["application/json"]
            params = [self.resolve(p) for p in op.get("parameters") or []]
            body = [p for p in params if p.get("in") == "body"]
            if body:
                schema = self.resolve(body[0].get("schema") or {})
                base = schema.get("example") if isinstance(schema.get("example"), dict) else self.generate(schema)
                return _json_type(consumes) or "application/json", copy.deepcopy(base)
            form = [p for p in params if p.get("in") == "formData"]
            if form:
                base = {p["name"]: self.generate(p) for p in form if p.get("required")}
                return "application/x-www-form-urlencoded", base
            return None, None
        body = self.resolve(op.get("requestBody") or {})
        content = body.get("content") or {}
        if not content:
            return None, None
        media = _json_type(content) or (
            "application/x-www-form-urlencoded" if "application/x-www-form-urlencoded" in content else next(iter(content))
        )
        entry = self.resolve(content[media]) or {}
        example = entry.get("example")
        if example is None and isinstance(entry.get("examples"), dict) and entry["examples"]:
            example = self.resolve(next(iter(entry["examples"].values()))).get("value")
        if not isinstance(example, dict):
            example = self.generate(self.resolve(entry.get("schema") or {}))
        return media, copy.deepcopy(example if isinstance(example, dict) else {})

    def generate(self, schema, depth=0):
        """The smallest value the schema allows, from its const/enum/example/default."""
        schema = self.resolve(schema)
        if not isinstance(schema, dict) or depth > 20:
            return None
        for key in ("const", "example", "default"):
            if key in schema:
                return copy.deepcopy(schema[key])
        if schema.get("enum"):
            return schema["enum"][0]
        for key in ("allOf", "oneOf", "anyOf"):
            if schema.get(key):
                if key == "allOf":
                    out = {}
                    for part in schema[key]:
                        value = self.generate(part, depth + 1)
                        if isinstance(value, dict):
                            out.update(value)
                    return out
                return self.generate(schema[key][0], depth + 1)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), None)
        if kind == "object" or "properties" in schema:
            props = schema.get("properties") or {}
            return {name: self.generate(props.get(name, {}), depth + 1) for name in schema.get("required") or []}
        if kind == "array":
            return [self.generate(schema.get("items") or {}, depth + 1) for _ in range(schema.get("minItems") or 0)]
        if kind == "integer" or kind == "number":
            return schema.get("minimum", 0)
        if kind == "boolean":
            return False
        if kind == "string":
            return "x" * max(1, schema.get("minLength") or 1)
        return None


def _json_type(types):
    for media in types:
        if media == "application/json":
            return media
    for media in types:
        if media.endswith("+json") or media.endswith("/json"):
            return media
    return None


def _location(value):
    """(in, name, scheme) of a request location (a string or {from, scheme})."""
    scheme = None
    if isinstance(value, dict):
        scheme = value.get("scheme")
        value = value.get("from")
    if not isinstance(value, str):
        return None
    for where in ("header", "query", "cookie", "path"):
        prefix = f"$request.{where}."
        if value.startswith(prefix):
            return (where, value[len(prefix) :], scheme)
    if value.startswith("$request.body#"):
        return ("body", value[len("$request.body#") :], scheme)
    return None


class Request:
    """One request the hook builds: path, query, headers, cookies and a body."""

    def __init__(self, spec, method, path, op, item):
        self.spec, self.method, self.path, self.op = spec, method, path, op
        self.path_params, self.query, self.headers, self.cookies = {}, {}, {}, {}
        self.media, self.body = spec.request_body(op)
        for param in spec.parameters(op, item):
            if param.get("required") and param.get("in") in ("path", "query", "header", "cookie"):
                value = spec.generate(param.get("schema", param))
                self.put((param["in"], param["name"], None), "" if value is None else str(value))

    def put(self, place, value):
        where, name, scheme = place
        if scheme:
            value = f"{scheme} {value}"
        if where == "body":
            if self.body is None:
                self.body = {}
            _pointer_set(self.body, name, value)
        else:
            {"path": self.path_params, "query": self.query, "header": self.headers, "cookie": self.cookies}[where][
                name
            ] = value

    def send(self, base):
        path = self.path
        for name, value in self.path_params.items():
            path = path.replace("{" + name + "}", urllib.parse.quote(str(value), safe=""))
        headers = dict(self.headers)
        kwargs = {}
        if self.media:
            headers["content-type"] = self.media
            if self.media == "application/x-www-form-urlencoded":
                kwargs["data"] = {k: str(v) for k, v in (self.body or {}).items()}
            else:
                kwargs["json"] = self.body
        try:
            return requests.request(
                self.method.upper(),
                base.rstrip("/") + path,
                params=self.query,
                headers=headers,
                cookies=self.cookies,
                allow_redirects=False,
                timeout=TIMEOUT,
                **kwargs,
            )
        except requests.RequestException as e:
            raise HookError(f"{self.method.upper()} {path}: {e}") from e


def _response_value(response, expression):
    if expression.startswith("$response.header."):
        return response.headers.get(expression[len("$response.header.") :])
    if expression.startswith("$response.body#"):
        try:
            return _pointer_get(response.json(), expression[len("$response.body#") :])
        except (ValueError, KeyError, IndexError, TypeError):
            return None
    return None


_LOG_LOCK = threading.Lock()


def _log(line):
    """One line in AUTH_HOOK_LOG (never a token or a password)."""
    path = os.environ.get("AUTH_HOOK_LOG")
    if path:
        with _LOG_LOCK, open(path, "a", encoding="utf-8") as f:
            f.write(f"{time.time():.3f} {line}\n")


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class Login:
    """Logs in to the target as the spec's first account; returns the access token."""

    def __init__(self, spec):
        self.spec = spec
        if not spec.accounts:
            raise HookError("the spec declares no accounts (x-token-lifecycle.accounts)")
        self.account = spec.accounts[0]
        self.logins = 0
        self.lock = threading.Lock()

    def client_for(self, binding):
        auth = (binding.get("client") or {}).get("auth")
        if auth in ("client_secret_basic", "client_secret_post"):
            client = self.spec.confidential_client()
            if client is None:
                raise HookError(f"the binding's client auth is {auth} but no root client has a secret")
            return client
        if auth == "none":
            for client in self.spec.clients:
                if isinstance(client, dict) and client.get("id") and not client.get("secret"):
                    return client
            if self.spec.clients:
                return self.spec.clients[0]
            raise HookError("the binding names a client but the root declares none")
        return None

    def authenticate_client(self, request, binding):
        client = self.client_for(binding)
        if client is None:
            return None
        spec = binding["client"]
        auth = spec.get("auth")
        if auth == "client_secret_basic":
            pair = f"{client['id']}:{client['secret']}".encode()
            request.headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        else:
            request.put(_location(spec.get("id", "$request.body#/client_id")), client["id"])
            if auth == "client_secret_post":
                request.put(_location(spec.get("secret", "$request.body#/client_secret")), client["secret"])
        return client

    def token(self, base):
        with self.lock:
            self.logins += 1
            found = self.spec.find("login")
            if found:
                token = self.password_login(base, *found)
            elif self.spec.find("exchange-code") and self.spec.find("authorize"):
                token = self.authorization_code(base)
            else:
                raise HookError("the spec binds no login, nor authorize and exchange-code")
            _log(f"login {self.logins} ok")
            return token

    def password_login(self, base, method, path, op, item, binding):
        request = Request(self.spec, method, path, op, item)
        for expression, value in (binding.get("when") or {}).items():
            place = _location(expression)
            if place:
                request.put(place, value)
        request.put(_location(binding["username"]), self.account["username"])
        request.put(_location(binding["password"]), self.account["password"])
        self.authenticate_client(request, binding)
        response = request.send(base)
        return self.issued(response, binding, f"{method.upper()} {path}")

    def issued(self, response, binding, what):
        if not 200 <= response.status_code < 300:
            raise HookError(f"{what} answered {response.status_code}: {response.text[:200]}")
        expression = (binding.get("issue") or {}).get("accessToken", "")
        token = _response_value(response, expression)
        if not isinstance(token, str) or not token:
            raise HookError(f"{what} answered {response.status_code} without a token at {expression}")
        return token

    def authorization_code(self, base):
        method, path, op, item, exchange = self.spec.find("exchange-code")
        client = self.client_for(exchange) or (self.spec.clients[0] if self.spec.clients else None)
        if not client or not client.get("redirectUris"):
            raise HookError("no client with redirectUris for the authorization-code flow")
        redirect_uri = client["redirectUris"][0]
        verifier = _b64url(secrets.token_bytes(32))
        state = secrets.token_urlsafe(16)
        params = {
            "response_type": "code",
            "client_id": client["id"],
            "redirect_uri": redirect_uri,
            "scope": "openid",
            "state": state,
            "nonce": secrets.token_urlsafe(16),
            "code_challenge": _b64url(hashlib.sha256(verifier.encode("ascii")).digest()),
            "code_challenge_method": "S256",
            "login_hint": self.account["username"],
        }
        # The GET authorization endpoint if there is one, else the POST form.
        authorize = None
        for m, p, o, _ in self.spec.operations:
            if any(b.get("action") == "authorize" for b in self.spec.bindings(o)):
                if authorize is None or m == "get":
                    authorize = (m, p)
        m, p = authorize
        try:
            if m == "get":
                response = requests.get(base.rstrip("/") + p, params=params, allow_redirects=False, timeout=TIMEOUT)
            else:
                response = requests.post(base.rstrip("/") + p, data=params, allow_redirects=False, timeout=TIMEOUT)
        except requests.RequestException as e:
            raise HookError(f"{m.upper()} {p}: {e}") from e
        location = response.headers.get("location")
        if response.status_code not in (302, 303) or not location:
            raise HookError(f"{m.upper()} {p} answered {response.status_code} without a redirect")
        back = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
        if back.get("state") != state or "code" not in back:
            raise HookError(f"the authorization redirect carries no code for our state: {back.get('error', '')}")
        request = Request(self.spec, method, path, op, item)
        request.put(_location(exchange.get("code", "$request.body#/code")), back["code"])
        request.put(_location(exchange.get("redirectUri", "$request.body#/redirect_uri")), redirect_uri)
        request.put(_location(exchange.get("codeVerifier", "$request.body#/code_verifier")), verifier)
        self.authenticate_client(request, exchange)
        return self.issued(request.send(base), exchange, f"{method.upper()} {path}")


SPEC = Spec(_load(os.environ["AUTH_HOOK_SPEC"])) if os.environ.get("AUTH_HOOK_SPEC") else None
LOGIN = Login(SPEC) if SPEC is not None else None


def needs_credentials(ctx):
    return SPEC is not None and SPEC.placement(ctx.operation.method, ctx.operation.path) is not None


def _negated(case):
    try:
        from schemathesis.generation.meta import negated_parameters

        return {(name.lower(), str(getattr(where, "value", where)).lower()) for name, where in negated_parameters(case._meta)}
    except Exception:  # an internal API of Schemathesis: without it, nothing is taken as negated
        return set()


def _container(case, where):
    attr = {"header": "headers", "query": "query", "cookie": "cookies", "path": "path_parameters"}[where]
    if getattr(case, attr, None) is None:
        setattr(case, attr, {})
    return getattr(case, attr)


if SPEC is not None:

    @schemathesis.auth(refresh_interval=int(os.environ.get("AUTH_HOOK_REFRESH", "10"))).apply_to(needs_credentials)
    class SpecLogin:
        """Logs in as x-token-lifecycle says and presents the token where the operation reads it."""

        def get(self, case, ctx):
            base = os.environ.get("AUTH_HOOK_URL") or case.operation.base_url
            return LOGIN.token(base)

        def set(self, case, data, ctx):
            negated = _negated(case)
            for kind, where, name, scheme in SPEC.placement(case.operation.method, case.operation.path) or []:
                if (name.lower(), where) in negated:
                    continue
                if kind == "client":
                    client = SPEC.confidential_client()
                    pair = f"{client['id']}:{client['secret']}".encode()
                    value = "Basic " + base64.b64encode(pair).decode("ascii")
                else:
                    value = f"{scheme} {data}" if scheme else data
                if where == "body":
                    if isinstance(case.body, dict):
                        _pointer_set(case.body, name, value)
                    continue
                container = _container(case, where)
                if where == "header":
                    for key in [k for k in list(container) if k.lower() == name.lower()]:
                        del container[key]
                container[name] = value
                _log(f"set {case.id} {kind}")
