#!/usr/bin/env bash
# Kefu's load figures: `make bench` runs `bash scripts/bench.sh "$BENCH"` after `make build`.
#
# usage: scripts/bench.sh [PREFIX]
#   Measures every figure whose name starts with PREFIX (all when empty) and prints each one on
#   stdout as `bench: NAME VALUE UNIT`. Progress and diagnostics go to stderr. Exits non-zero when
#   a figure could not be measured (a server that does not start, a non-2xx response under load).
#
# Figures:
#   acd_decision_{p50,p99}_us, acd_decisions_per_sec  the routing engine's decision latency and
#                                            rate with 10,000 agents, 500 queues, 5,000 waiting
#   media_*                                  the media engine's capacity on one media thread
#                                            (relay, transcoding, conferences, fast-path
#                                            allocations); see bench/media_bench.cc
#   api_get_agents_rps_{sqlite,postgres}     requests/s of an authenticated GET /api/v1/agents
#   api_get_agents_p99_ms_{sqlite,postgres}  its 99th percentile latency, in ms
#   with 1,000 agents stored, measured by wrk (2 threads, 16 connections, 10 s after a 2 s warm-up)
#   against `kefu serve` on loopback, on SQLite and on a throwaway PostgreSQL 15 cluster.
#   sync_changes_per_sec, sync_lag_p99_ms_at_1000_per_sec, sync_drain_seconds_after_60s_cut
#                                            the site link between a core (PostgreSQL) and an
#                                            edge (SQLite) over two nats-servers; see
#                                            bench/sync_bench.cc
#   sync_call_events_per_sec_edge_to_core  call events of edge calls applied on the core
#   screen_pop_alert_delay_p{50,99}_ms       ring → softphone.alerting with the customer card and
#                                            history; see bench/screen_pop_bench.cc
#   tts_ms_{zh,en}_{cold,cached}, tts_ms_en_flite_cold, ivr_flow_steps_per_sec
#                                            espeak-ng (and flite) TTS of a 20-character prompt to
#                                            8 kHz, first time and from the cache, and the IVR
#                                            interpreter's steps/s on one core
#   ivr_spoken_digit_accuracy_pct, ivr_asr_rtf
#                                            the 300 shared spoken digits through G.711 and the
#                                            pocketsphinx digits grammar; see bench/ivr_bench.cc
#   sip_*, kamailio_cps                      SIP load with SIPp, and Kamailio for scale; see
#                                            scripts/sip_bench.sh
#   events_fanout_p99_ms_1000_subscribers    1,000 WebSocket subscribers of /api/v1/events on
#                                            loopback; an agent's state changed by REST 20 times;
#                                            p99 of request sent → frame received, over every
#                                            subscriber and change; see bench/events/
#   webrtc_answer_to_audio_ms                REST answer of a call ringing on a Chromium
#                                            softphone → its analyser first hears the baresip
#                                            caller's tone; measured by SoftphoneTest
#                                            (tests/integration/call/softphone_test.cc)
#   wallboard_updates_per_sec                agent state changes/s by REST that the supervisor
#                                            wallboard (Chromium, 1920x1080, 500 agents, 50
#                                            queues) renders all within 1 s with < 1 % frames
#                                            dropped; see bench/web/wallboard_bench.mjs
#
# Environment (for experiments; the defaults are the reported figures):
#   KEFU_BIN (build/bin/kefu), BENCH_AGENTS (1000), BENCH_DURATION (10s), BENCH_WARMUP (2s),
#   BENCH_THREADS (2), BENCH_CONNECTIONS (16), PG_BIN (/usr/lib/postgresql/15/bin).
#
# Everything it starts (the server, the PostgreSQL cluster) is stopped and its temporary directory
# removed on exit, on failure and on Ctrl-C.

set -euo pipefail

readonly PREFIX="${1:-}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly ROOT
readonly KEFU="${KEFU_BIN:-$ROOT/build/bin/kefu}"
readonly AGENTS="${BENCH_AGENTS:-1000}"
readonly DURATION="${BENCH_DURATION:-10s}"
readonly WARMUP="${BENCH_WARMUP:-2s}"
readonly WRK_THREADS="${BENCH_THREADS:-2}"
readonly WRK_CONNECTIONS="${BENCH_CONNECTIONS:-16}"
readonly PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
readonly ADMIN_PASSWORD="bench-admin-pw"
readonly FIGURES=(
  api_get_agents_rps_sqlite api_get_agents_p99_ms_sqlite
  api_get_agents_rps_postgres api_get_agents_p99_ms_postgres
  acd_decision_p50_us acd_decision_p99_us acd_decisions_per_sec
  media_relay_calls_per_thread media_relay_added_p99_ms media_fastpath_alloc_bytes_per_packet
  media_transcode_calls_per_core media_conference3_per_core
  sip_cps_prompt_2s sip_concurrent_calls kamailio_cps sip_cps_ratio_to_kamailio
  sync_changes_per_sec sync_lag_p99_ms_at_1000_per_sec sync_drain_seconds_after_60s_cut
  sync_call_events_per_sec_edge_to_core
  tts_ms_zh_cold tts_ms_zh_cached tts_ms_en_cold tts_ms_en_cached tts_ms_en_flite_cold
  ivr_flow_steps_per_sec ivr_spoken_digit_accuracy_pct ivr_asr_rtf
  events_fanout_p99_ms_1000_subscribers webrtc_answer_to_audio_ms
  wallboard_updates_per_sec screen_pop_alert_delay_p50_ms screen_pop_alert_delay_p99_ms
)
# The routing engine's figures come from its own benchmark binary (bench/acd_bench.cc).
readonly ACD_BENCH="${KEFU_ACD_BENCH:-$ROOT/build/bin/kefu_acd_bench}"
# The media engine's figures too (bench/media_bench.cc).
readonly MEDIA_BENCH="${KEFU_MEDIA_BENCH:-$ROOT/build/bin/kefu_media_bench}"
# The IVR's figures (bench/ivr_bench.cc): TTS latency and interpreter steps per second.
readonly IVR_BENCH="${KEFU_IVR_BENCH:-$ROOT/build/bin/kefu_ivr_bench}"
# The site link's figures (bench/sync_bench.cc); it measures all three in one run of ~3 minutes.
readonly SYNC_BENCH="${KEFU_SYNC_BENCH:-$ROOT/build/bin/kefu_sync_bench}"
# The screen pop's added alert delay (bench/screen_pop_bench.cc).
readonly SCREEN_POP_BENCH="${KEFU_SCREEN_POP_BENCH:-$ROOT/build/bin/kefu_screen_pop_bench}"

WORK=""          # the temporary directory of this run
SERVER_PID=""    # the running `kefu serve`, if any
PG_DATA=""       # the running PostgreSQL cluster's data directory, if any
PG_URL=""        # its connection URI
BASE=""          # the running server's http://127.0.0.1:PORT
TOKEN=""         # the admin's bearer token
SKILL_IDS=()
BACKGROUND=()    # background curl processes of the seeding step
FAILED=0

log() { echo "[bench] $*" >&2; }
fail() { log "FAILED: $*"; FAILED=1; }

wanted() { [[ "$1" == "$PREFIX"* ]]; }

# @return success when any figure of the backend is wanted.
backendWanted() {
  local figure
  for figure in "${FIGURES[@]}"; do
    if [[ "$figure" == *"_$1" ]] && wanted "$figure"; then
      return 0
    fi
  done
  return 1
}

# Runs a PostgreSQL tool as the postgres user when we are root (initdb refuses to run as root).
asPostgres() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

freePort() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

stopServer() {
  if [[ -n "$SERVER_PID" ]]; then
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      kill -TERM "$SERVER_PID" 2>/dev/null || true
      local i
      for ((i = 0; i < 50; i++)); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
      done
      if kill -0 "$SERVER_PID" 2>/dev/null; then
        log "server $SERVER_PID ignored SIGTERM for 5 s; killing it"
        kill -KILL "$SERVER_PID" 2>/dev/null || true
      fi
    fi
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}

stopPostgres() {
  if [[ -n "$PG_DATA" ]]; then
    asPostgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 ||
      asPostgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1 || true
    PG_DATA=""
  fi
}

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  local pid
  for pid in "${BACKGROUND[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  stopServer
  stopPostgres
  if [[ -n "$WORK" ]]; then
    rm -rf "$WORK"
  fi
  exit "$status"
}
# Starts a throwaway cluster in $WORK/pg on a free port; sets PG_DATA and PG_URL.
startPostgres() {
  local port
  port=$(freePort)
  PG_DATA="$WORK/pg"
  mkdir -p "$PG_DATA"
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres:postgres "$PG_DATA"
  fi
  chmod 700 "$PG_DATA"
  log "postgres: initdb in $PG_DATA"
  asPostgres "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -A trust -E UTF8 --no-locale \
    >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log" >&2; return 1; }
  log "postgres: starting on 127.0.0.1:$port"
  # No Unix socket (loopback TCP only); fsync stays on, as in production.
  asPostgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w -t 60 \
    -o "-p $port -k '' -c listen_addresses=127.0.0.1" start >/dev/null ||
    { cat "$PG_DATA/server.log" >&2 || true; return 1; }
  asPostgres "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U postgres -qAt \
    -c 'CREATE DATABASE kefu_bench' >/dev/null
  PG_URL="postgresql://postgres@127.0.0.1:$port/kefu_bench"
}

# Starts `kefu serve` on a free port against the storage URL; sets SERVER_PID and BASE.
startServer() {
  local url=$1 name=$2 port i status
  port=$(freePort)
  BASE="http://127.0.0.1:$port"
  log "$name: starting $KEFU serve on $BASE"
  "$KEFU" serve --http-listen "127.0.0.1:$port" --storage-url "$url" \
    --auth-admin-password "$ADMIN_PASSWORD" --log-level warn >"$WORK/server-$name.log" 2>&1 &
  SERVER_PID=$!
  for ((i = 0; i < 300; i++)); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      wait "$SERVER_PID" 2>/dev/null && status=0 || status=$?
      SERVER_PID=""
      log "$name: server exited with status $status before answering /healthz:"
      tail -n 20 "$WORK/server-$name.log" >&2
      return 1
    fi
    if [[ $(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz") == 200 ]]; then
      return 0
    fi
    sleep 0.1
  done
  log "$name: /healthz did not answer 200 within 30 s:"
  tail -n 20 "$WORK/server-$name.log" >&2
  return 1
}

# Prints the value of a top-level string or number field of the JSON object on stdin.
jsonField() {
  python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1" 2>/dev/null ||
    { log "expected a JSON object with \"$1\", got: $(head -c 300)"; return 1; }
}

# POSTs a JSON body with the bearer token; prints the response body; fails unless status is $3.
postJson() {
  local path=$1 body=$2 expected=$3 out status
  out="$WORK/response.json"
  status=$(curl -sS -o "$out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    ${TOKEN:+-H "Authorization: Bearer $TOKEN"} --data "$body" "$BASE$path") || status=000
  if [[ "$status" != "$expected" ]]; then
    log "POST $path answered $status, expected $expected: $(head -c 500 "$out" 2>/dev/null)"
    return 1
  fi
  cat "$out"
}

# Writes a curl config (see curl's --config) that POSTs agents $2..$3 in one keep-alive session.
writeAgentRequests() {
  local file=$1 first=$2 last=$3 i n skill
  : >"$file"
  for ((i = first; i <= last; i++)); do
    printf -v n '%04d' "$i"
    skill=${SKILL_IDS[$((i % ${#SKILL_IDS[@]}))]}
    # The config format takes \" inside a quoted value; the body has no other escapes.
    cat >>"$file" <<EOF
url = "$BASE/api/v1/agents"
request = "POST"
header = "Authorization: Bearer $TOKEN"
header = "Content-Type: application/json"
data = "{\"name\":\"Agent $n\",\"extension\":\"$((10000 + i))\",\"sip_password\":\"secret-$n\",\"skills\":[{\"skill_id\":\"$skill\",\"level\":5}]}"
write-out = "\n%{stderr}%{http_code}\n"
next
EOF
  done
}

# Logs in, creates 3 skills and $AGENTS agents; sets TOKEN.
seed() {
  local name=$1 half start end
  local answer skill id
  TOKEN=""
  answer=$(postJson /api/v1/auth/login \
    "{\"username\":\"admin\",\"password\":\"$ADMIN_PASSWORD\"}" 200) || return 1
  TOKEN=$(jsonField token <<<"$answer") || return 1
  SKILL_IDS=()
  for skill in billing sales support; do
    answer=$(postJson /api/v1/skills "{\"name\":\"$skill\",\"description\":\"\"}" 201) ||
      return 1
    id=$(jsonField id <<<"$answer") || return 1
    SKILL_IDS+=("$id")
  done

  log "$name: creating $AGENTS agents"
  start=$(date +%s.%N)
  # Two keep-alive connections in parallel, one per core.
  half=$(((AGENTS + 1) / 2))
  writeAgentRequests "$WORK/agents-a.curl" 1 "$half"
  writeAgentRequests "$WORK/agents-b.curl" $((half + 1)) "$AGENTS"
  curl -sS --config "$WORK/agents-a.curl" >"$WORK/agents-a.body" 2>"$WORK/agents-a.status" &
  local pid_a=$!
  curl -sS --config "$WORK/agents-b.curl" >"$WORK/agents-b.body" 2>"$WORK/agents-b.status" &
  local pid_b=$!
  BACKGROUND=("$pid_a" "$pid_b")
  wait "$pid_a" || true
  wait "$pid_b" || true
  BACKGROUND=()
  end=$(date +%s.%N)

  local created
  created=$(cat "$WORK"/agents-?.status | grep -cx 201 || true)
  if [[ "$created" -ne "$AGENTS" ]]; then
    log "$name: created $created of $AGENTS agents; the first other answers (status body):"
    local part
    for part in a b; do
      paste -d' ' "$WORK/agents-$part.status" "$WORK/agents-$part.body"
    done | grep -v '^201 ' | head -n 3 | cut -c1-300 >&2 || true
    return 1
  fi
  log "$name: created $AGENTS agents in $(python3 -c "print(f'{$end - $start:.1f}')") s"

  local listed
  listed=$(curl -sS -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/agents" |
    python3 -c 'import json, sys
body = json.load(sys.stdin)
items = body if isinstance(body, list) else next(
    (v for v in body.values() if isinstance(v, list)), [])
print(len(items))') || listed="?"
  log "$name: GET /api/v1/agents lists $listed agents"
}

# Prints "RPS P99_MS NON2XX" parsed from `wrk --latency` output on stdin; fails when unparseable.
parseWrk() {
  awk '
    function ms(text,   value, unit) {
      value = text; sub(/[a-z]+$/, "", value)
      unit = text; sub(/^[0-9.]+/, "", unit)
      if (unit == "us") return value / 1000
      if (unit == "ms") return value
      if (unit == "s") return value * 1000
      if (unit == "m") return value * 60000
      if (unit == "h") return value * 3600000
      return -1
    }
    /^Requests\/sec:/ { rps = $2 }
    /^[ \t]+99(\.0+)?%/ { p99 = ms($2) }
    /Non-2xx or 3xx responses:/ { non2xx = $NF }
    END {
      if (rps == "" || p99 == "" || p99 < 0) exit 1
      printf "%.1f %.3f %d\n", rps, p99, non2xx + 0
    }'
}

# Runs the warm-up and the measured wrk run against GET /api/v1/agents; prints the figures.
measure() {
  local name=$1 url="$BASE/api/v1/agents" out="$WORK/wrk-$1.txt" figures rps p99 non2xx
  local -a args=(-t"$WRK_THREADS" -c"$WRK_CONNECTIONS" --latency -H "Authorization: Bearer $TOKEN")
  log "$name: warm-up ($WARMUP)"
  wrk "${args[@]}" -d"$WARMUP" "$url" >/dev/null
  log "$name: wrk ${args[*]:0:3} -d$DURATION GET /api/v1/agents"
  wrk "${args[@]}" -d"$DURATION" "$url" >"$out"
  sed 's/^/[bench]   /' "$out" >&2
  if ! figures=$(parseWrk <"$out"); then
    fail "$name: could not read Requests/sec and the 99% latency from wrk's output"
    return 1
  fi
  read -r rps p99 non2xx <<<"$figures"
  if [[ "$non2xx" -ne 0 ]]; then
    fail "$name: $non2xx responses were not 2xx; no figure reported"
    return 1
  fi
  if grep -q '^  Socket errors:' "$out"; then
    log "$name: warning: $(grep '^  Socket errors:' "$out" | sed 's/^ *//')"
  fi
  if wanted "api_get_agents_rps_$name"; then
    echo "bench: api_get_agents_rps_$name $rps req/s"
  fi
  if wanted "api_get_agents_p99_ms_$name"; then
    echo "bench: api_get_agents_p99_ms_$name $p99 ms"
  fi
}

# The event fan-out figure: a SQLite site, one agent whose state changes, 1,000 subscribers
# (bench/events/events_fanout.cc, compiled here: it is a client only, Boost.Beast headers).
runEventsFanout() {
  local answer agent
  if ! g++ -std=c++20 -O2 -o "$WORK/events_fanout" "$ROOT/bench/events/events_fanout.cc" \
    -pthread 2>"$WORK/events_fanout-build.log"; then
    fail "events: the fan-out client does not compile:"
    head -n 20 "$WORK/events_fanout-build.log" >&2
    return
  fi
  # 1,000 subscribers and the server's sockets: raise the descriptor limit as far as allowed.
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  if ! startServer "sqlite:$WORK/events.db" events; then
    fail "events: the server did not start"
    return
  fi
  TOKEN=""
  if answer=$(postJson /api/v1/auth/login \
    "{\"username\":\"admin\",\"password\":\"$ADMIN_PASSWORD\"}" 200) &&
    TOKEN=$(jsonField token <<<"$answer") &&
    answer=$(postJson /api/v1/agents \
      '{"name":"Fan-out","extension":"7001","sip_password":"fanout-secret-1"}' 201) &&
    agent=$(jsonField id <<<"$answer") &&
    postJson "/api/v1/agents/$agent/login" '{}' 200 >/dev/null; then
    log "events: 1,000 subscribers, 20 state changes of agent $agent"
    "$WORK/events_fanout" "${BASE##*:}" "$TOKEN" "$agent" 1000 20 ||
      fail "events: the fan-out measurement failed"
  else
    fail "events: could not set up the agent"
  fi
  stopServer
}

# Answer to audio in the browser: the softphone end-to-end test prints it as a bench line.
runWebRtcAnswer() {
  local tests="${KEFU_CALL_TESTS:-$ROOT/build/bin/kefu_call_integration_tests}" out
  if [[ ! -x "$tests" ]]; then
    fail "webrtc: $tests is missing: run 'make build' first"
    return
  fi
  log "webrtc: SoftphoneTest (Chromium agents, a baresip caller)"
  out="$WORK/softphone-test.log"
  if "$tests" --gtest_filter='*SoftphoneTest.BrowserAgents*' >"$out" 2>&1 &&
    grep -m1 '^bench: webrtc_answer_to_audio_ms ' "$out"; then
    return
  fi
  fail "webrtc: SoftphoneTest failed; the end of its output:"
  tail -n 20 "$out" >&2
}

runBackend() {
  local name=$1 url
  case "$name" in
    sqlite) url="sqlite:$WORK/bench.db" ;;
    postgres)
      startPostgres || { fail "$name: PostgreSQL did not start"; stopPostgres; return; }
      url=$PG_URL
      ;;
  esac
  if startServer "$url" "$name" && seed "$name"; then
    measure "$name" || true
  else
    fail "$name: no figure measured"
  fi
  if [[ -n "$SERVER_PID" ]] && ! kill -0 "$SERVER_PID" 2>/dev/null; then
    local status=0
    wait "$SERVER_PID" 2>/dev/null || status=$?
    SERVER_PID=""
    fail "$name: the server died (exit status $status); the end of its log:"
    tail -n 20 "$WORK/server-$name.log" >&2
  fi
  stopServer
  stopPostgres
}

main() {
  trap cleanup EXIT
  trap 'log "interrupted"; exit 130' INT
  trap 'log "terminated"; exit 143' TERM
  local any=0 figure backend
  for figure in "${FIGURES[@]}"; do
    wanted "$figure" && any=1
  done
  if [[ $any -eq 0 ]]; then
    log "no figure starts with '$PREFIX'; figures: ${FIGURES[*]}"
    exit 2
  fi
  local acd=0
  for figure in acd_decision_p50_us acd_decision_p99_us acd_decisions_per_sec; do
    wanted "$figure" && acd=1
  done
  if [[ $acd -eq 1 ]]; then
    log "routing engine: 10,000 agents, 500 queues, 5,000 waiting interactions"
    "$ACD_BENCH" "$PREFIX" || fail "the routing engine benchmark failed"
  fi
  local media=0
  for figure in "${FIGURES[@]}"; do
    [[ "$figure" == media_* ]] && wanted "$figure" && media=1
  done
  if [[ $media -eq 1 ]]; then
    log "media engine: one media thread, a load generator on loopback"
    "$MEDIA_BENCH" "$PREFIX" || fail "the media engine benchmark failed"
  fi
  local ivr=0
  for figure in "${FIGURES[@]}"; do
    [[ "$figure" == tts_* || "$figure" == ivr_* ]] && wanted "$figure" && ivr=1
  done
  if [[ $ivr -eq 1 ]]; then
    log "IVR: TTS (espeak-ng cmn and en, flite), spoken digits, the interpreter on the demo flow"
    "$IVR_BENCH" "$PREFIX" || fail "the IVR benchmark failed"
  fi
  local sync=0
  for figure in "${FIGURES[@]}"; do
    [[ "$figure" == sync_* ]] && wanted "$figure" && sync=1
  done
  if [[ $sync -eq 1 ]]; then
    log "site link: two nats-servers, core on PostgreSQL, edge on SQLite"
    "$SYNC_BENCH" || fail "the site link benchmark failed"
  fi
  if wanted screen_pop_alert_delay_p50_ms || wanted screen_pop_alert_delay_p99_ms; then
    log "screen pop: SQLite, 10,000 customers with earlier calls and wrap-ups"
    "$SCREEN_POP_BENCH" || fail "the screen pop benchmark failed"
  fi
  local sip=0
  for figure in sip_cps_prompt_2s sip_concurrent_calls kamailio_cps sip_cps_ratio_to_kamailio; do
    wanted "$figure" && sip=1
  done
  if [[ $sip -eq 1 ]]; then
    KEFU_BIN="$KEFU" bash "$ROOT/scripts/sip_bench.sh" "$PREFIX" || fail "the SIP benchmark failed"
  fi
  if wanted wallboard_updates_per_sec; then
    log "wallboard: 500 agents, 50 queues, Chromium at 1920x1080 (bench/web/wallboard_bench.mjs)"
    node "$ROOT/bench/web/wallboard_bench.mjs" "$KEFU" "$ROOT" || fail "the wallboard benchmark failed"
  fi
  local events=0 webrtc=0
  wanted events_fanout_p99_ms_1000_subscribers && events=1
  wanted webrtc_answer_to_audio_ms && webrtc=1
  backendWanted sqlite || backendWanted postgres || [[ $events -eq 1 ]] || [[ $webrtc -eq 1 ]] ||
    exit "$FAILED"
  if [[ ! -x "$KEFU" ]]; then
    log "$KEFU is missing: run 'make build' first"
    exit 1
  fi
  local tool
  for tool in wrk curl python3; do
    command -v "$tool" >/dev/null || { log "$tool is not installed"; exit 1; }
  done
  WORK=$(mktemp -d /tmp/kefu-bench.XXXXXX)
  chmod 711 "$WORK"  # the postgres user must reach $WORK/pg
  for backend in sqlite postgres; do
    if backendWanted "$backend"; then
      runBackend "$backend"
    fi
  done
  if [[ $events -eq 1 ]]; then
    runEventsFanout
  fi
  if [[ $webrtc -eq 1 ]]; then
    runWebRtcAnswer
  fi
  exit "$FAILED"
}

# Sourcing the script (to test parseWrk) defines the functions without running anything.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main
fi
