#!/usr/bin/env bash
# Probe a running django-oauth-toolkit (scripts/dot/run.sh) with curl: each
# behaviour fixtures/README.md lists, printed under a heading.
#   scripts/dot/probe.sh http://127.0.0.1:PORT
set -uo pipefail
U=${1:?usage: probe.sh URL}
C="-u web-app:web-app-secret"
j() { python3 -c 'import sys,json; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
login() { curl -s $C -d grant_type=password -d username=demo -d password=demo $U/o/token/; }
echo "== login"; L=$(login); echo "$L"
A1=$(echo "$L" | j access_token); R1=$(echo "$L" | j refresh_token)
echo "== wrong password"; curl -s -i $C -d grant_type=password -d username=demo -d password=x $U/o/token/ | grep -v -i -E '^(date|server|x-|vary|referrer|cross|content-length)'
echo "== wrong client"; curl -s -i -u web-app:nope -d grant_type=password -d username=demo -d password=demo $U/o/token/ | grep -v -i -E '^(date|server|x-|vary|referrer|cross|content-length)'
echo "== no client"; curl -s -i -d grant_type=password -d username=demo -d password=demo $U/o/token/ | grep -v -i -E '^(date|server|x-|vary|referrer|cross|content-length)'
echo "== unsupported"; curl -s -i $C -d grant_type=foo $U/o/token/ | head -1; curl -s $C -d grant_type=foo $U/o/token/; echo
echo "== no grant type"; curl -s -i $C -d x=1 $U/o/token/ | head -1; curl -s $C -d x=1 $U/o/token/; echo
echo "== password missing"; curl -s -i $C -d grant_type=password -d username=demo $U/o/token/ | head -1; curl -s $C -d grant_type=password -d username=demo $U/o/token/; echo
echo "== refresh missing"; curl -s -i $C -d grant_type=refresh_token $U/o/token/ | head -1; curl -s $C -d grant_type=refresh_token $U/o/token/; echo
echo "== refresh empty"; curl -s $C -d grant_type=refresh_token -d refresh_token= $U/o/token/; echo
echo "== me A1"; curl -s -i -H "Authorization: Bearer $A1" $U/api/me/ | grep -i -E '^HTTP|^www|^\{' ; echo
echo "== refresh R1"; F=$(curl -s $C -d grant_type=refresh_token -d refresh_token=$R1 $U/o/token/); echo "$F"
A2=$(echo "$F" | j access_token); R2=$(echo "$F" | j refresh_token)
echo "== me A1 after refresh"; curl -s -i -H "Authorization: Bearer $A1" $U/api/me/ | grep -i -E '^HTTP|^www' ; curl -s -H "Authorization: Bearer $A1" $U/api/me/; echo
echo "== me A2"; curl -s -H "Authorization: Bearer $A2" $U/api/me/; echo
echo "== reuse R1"; curl -s -i $C -d grant_type=refresh_token -d refresh_token=$R1 $U/o/token/ | head -1; curl -s $C -d grant_type=refresh_token -d refresh_token=$R1 $U/o/token/; echo
echo "== me A2 after reuse"; curl -s -H "Authorization: Bearer $A2" $U/api/me/; echo
echo "== introspect A2"; curl -s $C -d token=$A2 $U/o/introspect/; echo
echo "== introspect R2"; curl -s $C -d token=$R2 $U/o/introspect/; echo
echo "== introspect unknown"; curl -s $C -d token=xyz $U/o/introspect/; echo
echo "== introspect empty"; curl -s -i $C -d token= $U/o/introspect/ | head -1; curl -s $C -d token= $U/o/introspect/; echo
echo "== introspect missing"; curl -s -i $C -d x=1 $U/o/introspect/ | head -1; curl -s $C -d x=1 $U/o/introspect/; echo
echo "== introspect bad client"; curl -s -i -u web-app:nope -d token=$A2 $U/o/introspect/ | grep -i -E '^HTTP|^www|^content-type'; curl -s -u web-app:nope -d token=$A2 $U/o/introspect/; echo
echo "== introspect other client"; curl -s -u mobile-app:mobile-app-secret -d token=$A2 $U/o/introspect/; echo
echo "== refresh R2 as other client"; curl -s -i -u mobile-app:mobile-app-secret -d grant_type=refresh_token -d refresh_token=$R2 $U/o/token/ | head -1; curl -s -u mobile-app:mobile-app-secret -d grant_type=refresh_token -d refresh_token=$R2 $U/o/token/; echo
echo "== revoke R2 as other client"; curl -s -i -u mobile-app:mobile-app-secret -d token=$R2 $U/o/revoke_token/ | head -1; curl -s -H "Authorization: Bearer $A2" $U/api/me/; echo
echo "== revoke unknown"; curl -s -i $C -d token=xyz $U/o/revoke_token/ | head -1
echo "== revoke empty"; curl -s -i $C -d token= $U/o/revoke_token/ | head -1; curl -s $C -d token= $U/o/revoke_token/; echo
echo "== revoke missing"; curl -s -i $C -d x=1 $U/o/revoke_token/ | head -1; curl -s $C -d x=1 $U/o/revoke_token/; echo
echo "== revoke bad client"; curl -s -i -u web-app:nope -d token=xyz $U/o/revoke_token/ | grep -i -E '^HTTP|^www'; curl -s -u web-app:nope -d token=xyz $U/o/revoke_token/; echo
echo "== revoke R2 (refresh)"; curl -s -i $C -d token=$R2 -d token_type_hint=refresh_token $U/o/revoke_token/ | head -1
echo "== me A2 after revoking R2"; curl -s -H "Authorization: Bearer $A2" $U/api/me/; echo
echo "== refresh R2 after revoke"; curl -s $C -d grant_type=refresh_token -d refresh_token=$R2 $U/o/token/; echo
echo "== revoke access: new login"; L=$(login); A3=$(echo "$L" | j access_token); R3=$(echo "$L" | j refresh_token)
curl -s -i $C -d token=$A3 -d token_type_hint=access_token $U/o/revoke_token/ | head -1
echo "== me A3 after revoke"; curl -s -H "Authorization: Bearer $A3" $U/api/me/; echo
echo "== refresh R3 after revoking A3"; curl -s $C -d grant_type=refresh_token -d refresh_token=$R3 $U/o/token/; echo
echo "== revoke refresh token with wrong hint"; L=$(login); A4=$(echo "$L" | j access_token); R4=$(echo "$L" | j refresh_token)
curl -s -i $C -d token=$R4 -d token_type_hint=access_token $U/o/revoke_token/ | head -1
curl -s $C -d grant_type=refresh_token -d refresh_token=$R4 $U/o/token/; echo
echo "== me no token"; curl -s -i $U/api/me/ | grep -i -E '^HTTP|^www'; curl -s $U/api/me/; echo
echo "== me garbage"; curl -s -i -H "Authorization: Bearer garbage" $U/api/me/ | grep -i -E '^HTTP|^www'; curl -s -H "Authorization: Bearer garbage" $U/api/me/; echo
echo "== refresh with access token"; L=$(login); A5=$(echo "$L" | j access_token); curl -s $C -d grant_type=refresh_token -d refresh_token=$A5 $U/o/token/; echo
echo "== json body"; curl -s -i $C -H 'content-type: application/json' -d '{"grant_type":"password","username":"demo","password":"demo"}' $U/o/token/ | head -1
