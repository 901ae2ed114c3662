#!/usr/bin/env bash
# Measurement, not a test: runs each Paho interoperability test alone against a fresh Mosquitto on a free loopback
# port (anonymous, `topic deny test/nosubscribe` so test_subscribe_failure has a refusal to see) and prints the
# score. Each test is killed after a bound (test_flow_control2 can hang). Usage: ./score.sh [mosquitto binary]
set -uo pipefail
cd "$(dirname "$0")"
mosquitto="${1:-/usr/sbin/mosquitto}"
v3=(testBasic test_retained_messages test_zero_length_clientid test_offline_message_queueing test_overlapping_subscriptions
    test_keepalive test_redelivery_on_reconnect test_subscribe_failure test_dollar_topics test_unsubscribe)
v5=(test_basic test_retained_message test_will_message test_zero_length_clientid test_offline_message_queueing
    test_overlapping_subscriptions test_keepalive test_redelivery_on_reconnect test_subscribe_failure test_dollar_topics
    test_unsubscribe test_session_expiry test_user_properties test_payload_format test_publication_expiry
    test_subscribe_options test_assigned_clientid test_subscribe_identifiers test_request_response test_client_topic_alias
    test_server_topic_alias test_maximum_packet_size test_server_keep_alive test_flow_control1 test_flow_control2
    test_will_delay test_shared_subscriptions)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
passed=0; total=0; failed=()
run() {
  local module=$1 test=$2
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  printf 'topic readwrite #\ntopic deny test/nosubscribe\n' > "$dir/acl"
  { echo "listener $port 127.0.0.1"; echo "allow_anonymous true"; echo "acl_file $dir/acl"; [ "$(id -u)" = 0 ] && echo "user root"; } > "$dir/conf"
  "$mosquitto" -c "$dir/conf" >"$dir/broker.log" 2>&1 &
  local pid=$!
  for _ in $(seq 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null && break; sleep 0.1; done
  total=$((total+1))
  if timeout -k 5 60 python3 run_one.py "$module" "$test" 127.0.0.1 "$port" >"$dir/out" 2>&1; then
    passed=$((passed+1)); echo "PASS $module.$test"
  else
    failed+=("$module.$test"); echo "FAIL $module.$test"
  fi
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
}
for t in "${v3[@]}"; do run client_test "$t"; done
for t in "${v5[@]}"; do run client_test5 "$t"; done
echo "mosquitto $("$mosquitto" -h 2>/dev/null | head -1 | awk '{print $3}'): $passed/$total passed; failed: ${failed[*]:-none}"
