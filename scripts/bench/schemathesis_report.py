"""Figures of one Schemathesis run, from its ndjson event stream.

    python schemathesis_report.py SPEC NDJSON [HOOK_LOG]

Prints one line of `key=value` pairs (scripts/bench/schemathesis-fixtures.sh
makes its table from them), then one `finding=` line per unique failure:

  requests      interactions recorded (every request Schemathesis checked)
  s5xx          answers with a 5xx status
  schema        unique response-schema violations (ST101, response_schema_conformance)
  server_error  unique not_a_server_error failures
  other         unique failures of every other check
  errors        errors of Schemathesis itself (NonFatalError events, errored scenarios)
  token_ops     operations the hook presents an access token to (schemathesis_hooks.Spec.placement)
  token_reqs    requests to them carrying the hook's token
  token_2xx     of those with the operation's own method, answered 2xx: the proof
                that the login hook works
  client_reqs   requests to operations the hook authenticates as the OAuth client (HTTP Basic)
  client_2xx    of those, answered 2xx
  logins        logins the hook performed (lines of HOOK_LOG)
  reauth        replays after a 401 that then succeeded (Schemathesis's reauth_count)
"""

import json
import os
import sys
import urllib.parse
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.pop("AUTH_HOOK_SPEC", None)  # import the hook's reader without registering the hook
import schemathesis_hooks as hooks  # noqa: E402


def main():
    spec = hooks.Spec(hooks._load(sys.argv[1]))
    ndjson = sys.argv[2]
    log = sys.argv[3] if len(sys.argv) > 3 else None

    # Template paths -> placement, matched against request paths.
    templates = []
    for method, path, _, _ in spec.operations:
        placement = spec.placement(method, path)
        if placement:
            templates.append((method.upper(), path, placement))

    # Which cases the hook gave a credential to: Schemathesis sanitizes
    # Authorization in its report, so the hook says it in its own log.
    given = {}
    figures = Counter()
    if log and os.path.exists(log):
        with open(log, encoding="utf-8") as f:
            for entry in f:
                parts = entry.split()
                if len(parts) >= 2 and parts[1] == "login":
                    figures["logins"] += 1
                elif len(parts) >= 4 and parts[1] == "set":
                    given[parts[2]] = parts[3]
    findings = {}
    for line in open(ndjson, encoding="utf-8"):
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if "NonFatalError" in event:
            figures["errors"] += 1
            error = event["NonFatalError"]
            findings[("error", error.get("label", ""), json.dumps(error.get("value"))[:200])] = "error"
        if "EngineFinished" in event:
            figures["reauth"] = (event["EngineFinished"].get("payload") or {}).get("reauth_count", 0)
        if "ScenarioFinished" not in event:
            continue
        scenario = event["ScenarioFinished"]
        if scenario.get("status") == "error":
            figures["errors"] += 1
        recorder = scenario.get("recorder") or {}
        for case_id, interaction in (recorder.get("interactions") or {}).items():
            figures["requests"] += 1
            request, response = interaction.get("request") or {}, interaction.get("response") or {}
            status = response.get("status_code") or 0
            if status >= 500:
                figures["s5xx"] += 1
            kind = given.get(case_id)
            if kind is None:
                continue
            prefix = "token" if kind == "token" else "client"
            figures[f"{prefix}_reqs"] += 1
            # 2xx to the operation's own method (an OPTIONS probe's 204 is not the proof).
            own = str(recorder.get("label", "")).split(" ")[0] == request.get("method")
            if own and 200 <= status < 300:
                figures[f"{prefix}_2xx"] += 1
        for checks in (recorder.get("checks") or {}).values():
            for check in checks:
                if check.get("status") != "failure":
                    continue
                failure = (check.get("failure_info") or {}).get("failure") or {}
                key = (
                    check.get("name"),
                    failure.get("operation", recorder.get("label", "")),
                    failure.get("code", ""),
                    failure.get("title", ""),
                    (failure.get("message") or "").splitlines()[0] if failure.get("message") else "",
                )
                findings[key] = check.get("name")
    for key, name in findings.items():
        if name == "error":
            continue
        if name == "response_schema_conformance":
            figures["schema"] += 1
        elif name == "not_a_server_error":
            figures["server_error"] += 1
        else:
            figures["other"] += 1
    figures["token_ops"] = sum(1 for _, _, p in templates if p[0][0] == "token")
    keys = [
        "requests", "s5xx", "schema", "server_error", "other", "errors", "token_ops",
        "token_reqs", "token_2xx", "client_reqs", "client_2xx", "logins", "reauth",
    ]
    print(" ".join(f"{k}={figures.get(k, 0)}" for k in keys))
    for key, name in sorted(findings.items(), key=lambda kv: tuple(str(x) for x in kv[0])):
        if name == "error":
            print(f"finding=error {key[1]}: {key[2]}")
        else:
            print(f"finding={key[2]} {key[3]} | {key[1]} | {key[4]} [{key[0]}]")


if __name__ == "__main__":
    main()
