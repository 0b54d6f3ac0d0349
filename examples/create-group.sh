#!/usr/bin/env bash
# Creates a conversation group on a Yunxin endpoint (the simulator by default), signing the
# request the way Yunxin requires: CheckSum = sha1(AppSecret + Nonce + CurTime), lowercase hex.
set -euo pipefail
ENDPOINT=${YUNXIN_ENDPOINT:-http://127.0.0.1:8787}
APP_KEY=${YUNXIN_APP_KEY:-demo-app-key}
APP_SECRET=${YUNXIN_APP_SECRET:-demo-app-secret}
NONCE=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
CURTIME=$(date +%s)
CHECKSUM=$(printf '%s' "$APP_SECRET$NONCE$CURTIME" | sha1sum | cut -d' ' -f1)

curl -sS -X POST "$ENDPOINT/im/v2/conversation_groups" \
  -H "AppKey: $APP_KEY" -H "Nonce: $NONCE" -H "CurTime: $CURTIME" -H "CheckSum: $CHECKSUM" \
  -H "X-custom-traceid: $(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" \
  -H 'Content-Type: application/json' \
  -d '{"account_id":"alice","name":"Projects","server_extension":"{\"example\":true}",
       "conversation_ids":["alice|2|team-42","alice|1|bob"]}'
echo
