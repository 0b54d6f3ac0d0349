#!/usr/bin/env bash
# Creates a conversation group on a Yunxin endpoint (the simulator by default), signing each
# request the way Yunxin requires: CheckSum = sha1(AppSecret + Nonce + CurTime), lowercase hex.
# Its conversations are created first: Yunxin refuses to group one that does not exist (110404),
# as the official Java SDK's conversation-group test shows.
set -euo pipefail
# the service's settings (a list of endpoints: the first is used), else the simulator's demo app
ENDPOINT=${PROVIDER_ENDPOINT:-http://127.0.0.1:8787}
ENDPOINT=${ENDPOINT%%,*}
APP_KEY=${PROVIDER_APP_ID:-demo-app-key}
APP_SECRET=${PROVIDER_SECRET:-demo-app-secret}

post() { # path body
  local nonce curtime checksum
  nonce=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  curtime=$(date +%s)
  checksum=$(printf '%s' "$APP_SECRET$nonce$curtime" | sha1sum | cut -d' ' -f1)
  curl -sS -X POST "$ENDPOINT$1" \
    -H "AppKey: $APP_KEY" -H "Nonce: $nonce" -H "CurTime: $curtime" -H "CheckSum: $checksum" \
    -H "X-custom-traceid: $(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" \
    -H 'Content-Type: application/json' -d "$2"
  echo
}

for conversation in 'alice|2|team-42' 'alice|1|bob'; do
  post /im/v2.1/conversations "{\"conversation_id\":\"$conversation\"}" >/dev/null
done
post /im/v2/conversation_groups '{"account_id":"alice","name":"Projects","server_extension":"{\"example\":true}",
       "conversation_ids":["alice|2|team-42","alice|1|bob"]}'
