#!/usr/bin/env bash
# Kefu's SIP load figures, measured with SIPp (Debian's sip-tester) on loopback; `make bench` runs
# it through scripts/bench.sh.
#
# usage: scripts/sip_bench.sh [PREFIX]
#   Measures every figure whose name starts with PREFIX (all when empty) and prints each one on
#   stdout as `bench: NAME VALUE UNIT`. Progress and diagnostics go to stderr. Exits non-zero when
#   a wanted figure could not be measured.
#
# Figures:
#   sip_cps_prompt_2s           calls/s that `kefu serve` answers, plays a 2 s prompt to and
#                               releases (Kefu sends the BYE) with zero failed calls; the caller is
#                               SIPp (bench/sip/uac_prompt.xml), the entry point's target an
#                               announcement of a 2 s WAV.
#   kamailio_cps                the same caller through Kamailio 5.6 as a stateful, record-routing
#                               proxy (bench/sip/kamailio.cfg.in) to a SIPp callee that hangs up
#                               after 2 s (bench/sip/uas_bye.xml): the scale reference.
#   sip_cps_ratio_to_kamailio   sip_cps_prompt_2s / kamailio_cps.
#   sip_concurrent_calls        concurrent anchored G.711 calls held for the hold window with zero
#                               failed calls while Kefu relays about 50 packets/s per direction
#                               per call: SIPp caller streaming mu-law (bench/sip/uac_hold.xml)
#                               -> Kefu entry point (target: number) -> Kefu's gateway, a SIPp
#                               callee that echoes RTP (bench/sip/uas_echo.xml).
#
# A rate is clean when every call of the step succeeded (no failed call, no unexpected or
# out-of-call message on the caller and the callee) and SIPp kept the rate. The search raises the
# rate by half with short probes until one is not clean, tries once between the last two, and
# then confirms the best rate with a full-length step (stepping down by a third when the
# confirmation is not clean); the figure is the rate SIPp set up in the confirming step. A step stops at its
# first failed call.
#
# Environment (for experiments; the defaults are the reported figures):
#   KEFU_BIN (build/bin/kefu)
#   SIP_BENCH_PROBE_SECONDS (6)     length of a search probe (twice a call, so that a probe
#                                   spends most of its time at the full number of calls)
#   SIP_BENCH_STEP_SECONDS (20)     length of the confirming step
#   SIP_BENCH_KEFU_START (200)      first rate tried against Kefu, in calls/s
#   SIP_BENCH_KAMAILIO_START (1200) first rate tried against Kamailio
#   SIP_BENCH_MAX_RATE (6400)       the search stops there
#   SIP_BENCH_CALLS ("250 500 1000 1500 2000 2500")  concurrent calls tried, in order; the
#                                   figure is the last that passes before one fails
#   SIP_BENCH_HOLD_SECONDS (20)     how long all N calls overlap
#   SIP_BENCH_RAMP_RATE (250)       calls/s while the N calls are set up
#   SIP_BENCH_RT (auto)             1: run Kefu and Kamailio under `chrt -r 10` and SIPp under
#                                   `chrt -r 11`; 0: never; auto: when chrt works (root or
#                                   CAP_SYS_NICE)
#   SIP_BENCH_KAMAILIO_CHILDREN (2) Kamailio's UDP worker processes
#   SIP_BENCH_AGAINST (kefu)        sipp: measure the callee scenario bench/sip/uas_bye.xml in
#                                   Kefu's place, to check the scenarios and the search without
#                                   Kefu (prints sipp_uas_cps_prompt_2s instead)
#
# Everything it starts (Kefu, Kamailio, SIPp) is stopped and its temporary directory removed on
# exit, on failure and on Ctrl-C. The SIPp helpers are in bench/sip/sipp.sh, Kamailio's in
# bench/sip/kamailio.sh; docs/benchmarks.md describes the figures and the last measurements.

set -euo pipefail

readonly PREFIX="${1:-}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly ROOT
readonly SCENARIOS="$ROOT/bench/sip"
readonly KEFU="${KEFU_BIN:-$ROOT/build/bin/kefu}"
readonly PROBE_SECONDS="${SIP_BENCH_PROBE_SECONDS:-6}"
readonly STEP_SECONDS="${SIP_BENCH_STEP_SECONDS:-20}"
readonly KEFU_START="${SIP_BENCH_KEFU_START:-200}"
readonly KAMAILIO_START="${SIP_BENCH_KAMAILIO_START:-1200}"
readonly MAX_RATE="${SIP_BENCH_MAX_RATE:-6400}"
read -r -a CALL_STEPS <<<"${SIP_BENCH_CALLS:-250 500 1000 1500 2000 2500}"
readonly CALL_STEPS
readonly HOLD_SECONDS="${SIP_BENCH_HOLD_SECONDS:-20}"
readonly RAMP_RATE="${SIP_BENCH_RAMP_RATE:-250}"
readonly KAMAILIO_CHILDREN="${SIP_BENCH_KAMAILIO_CHILDREN:-2}"
readonly AGAINST="${SIP_BENCH_AGAINST:-kefu}"
readonly FIGURES=(sip_cps_prompt_2s kamailio_cps sip_cps_ratio_to_kamailio sip_concurrent_calls)
# The number each entry point answers on, and the number Kefu dials on its gateway.
readonly PROMPT_NUMBER=9000
readonly HOLD_NUMBER=9001
readonly GATEWAY_NUMBER=5551000
readonly ADMIN_PASSWORD="bench-admin-pw"

WORK=""            # the temporary directory of this run
RT=()              # the chrt prefix of measured processes (Kefu, Kamailio), if any
RT_SIPP=()         # the chrt prefix of the SIPp load generators, if any
PIDS=()            # background processes to stop on exit (SIPp callees, Kefu)
KAMAILIO_PID=""    # the running Kamailio's main process, if any
KEFU_PID=""        # the running `kefu serve`, if any
KEFU_SIP=""        # its SIP address
KEFU_HTTP=""       # its http://127.0.0.1:PORT
STEP_RATE=""       # the rate SIPp achieved in the last step, calls/s
CALLEE_PID=""      # the SIPp callee startCallee started
CALLER_PID=""      # the SIPp caller startCaller started
KAMAILIO_ADDR=""   # the SIP address startKamailio listens on
GATEWAY_PORT=""    # where Kefu's gateway (a SIPp callee) listens
RATE=0             # what searchRate found, calls/s
FAILED=0

log() { echo "[sip-bench] ${SECONDS}s $*" >&2; }
fail() {
  log "FAILED: $*"
  FAILED=1
}

wanted() { [[ "$1" == "$PREFIX"* ]]; }

# shellcheck source=bench/sip/sipp.sh
source "$SCENARIOS/sipp.sh"
# shellcheck source=bench/sip/kamailio.sh
source "$SCENARIOS/kamailio.sh"

stopKamailio() {
  if [[ -n "$KAMAILIO_PID" ]]; then
    # The main process stops its workers on SIGTERM.
    stopPid "$KAMAILIO_PID"
    KAMAILIO_PID=""
  fi
}

stopKefu() {
  if [[ -n "$KEFU_PID" ]]; then
    stopPid "$KEFU_PID"
    KEFU_PID=""
  fi
}

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  local pid
  for pid in "${PIDS[@]}"; do
    stopPid "$pid"
  done
  stopKamailio
  stopKefu
  if [[ -n "$WORK" ]]; then
    rm -rf "$WORK"
  fi
  exit "$status"
}

# One step of $rate calls/s for $seconds s through $target ($label: kamailio, kefu or sipp);
# $callee_port, when not empty, is where a SIPp callee hanging up after 2 s is started for the
# step. Returns success when the step was clean.
cpsStep() {
  local label=$1 rate=$2 seconds=$3 target=$4 callee_port=$5
  local calls=$((rate * seconds)) dir="$WORK/$label-$rate-${seconds}s" callee="" status=0
  mkdir -p "$dir"
  # The callee hangs up its side; its own pass/fail is judged too.
  if [[ -n "$callee_port" ]]; then
    startCallee "$dir" uas_bye.xml "$callee_port" -m "$calls"
    callee=$CALLEE_PID
    sleep 0.3
  fi
  if [[ "$label" == kefu ]]; then
    kefuDrain
  fi
  log "$label: $rate calls/s for $seconds s ($calls calls)"
  startCaller "$dir" uac_prompt.xml "$target" "$PROMPT_NUMBER" "$rate" "$calls" \
    $((seconds * 3 + 30))
  waitSipp "$CALLER_PID" "$dir" || status=$?
  if [[ -n "$callee" ]]; then
    # The callee ends by itself once it has served every call; a stuck one is stopped (at
    # once when the step already failed).
    local i
    for ((i = 0; i < 100 && status == 0; i++)); do
      kill -0 "$callee" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$callee" 2>/dev/null || true
    wait "$callee" 2>/dev/null || true
  fi
  local clean=0
  judgeSide "$dir" caller "$calls" "$rate" "$seconds" || clean=1
  if [[ -n "$callee" ]]; then
    judgeSide "$dir" callee "$calls" "$rate" "$seconds" || clean=1
  fi
  if [[ $status -ne 0 && $clean -eq 0 ]]; then
    log "  caller: SIPp exited with status $status"
    clean=1
  fi
  if [[ $clean -eq 0 ]]; then
    log "  clean (SIPp kept $STEP_RATE calls/s)"
  else
    log "  NOT clean"
  fi
  rm -rf "$dir"
  return $clean
}

# Rounds a rate to 2 significant digits (the search's resolution).
roundRate() {
  python3 -c "
from math import floor, log10
r = float($1)
if r < 10:
    print(max(1, int(r)))
else:
    step = 10 ** (floor(log10(r)) - 1)
    print(int(round(r / step) * step))"
}

# After a step that was not clean, starts a fresh Kamailio or Kefu: what an overload leaves
# behind (transactions that only time out after 32 s, retransmissions in flight) would otherwise
# spoil the next steps, and the search would measure the recovery instead of the rate.
restartAfterFailure() {
  case $1 in
    kamailio)
      stopKamailio
      startKamailio "$2"
      ;;
    kefu)
      stopKefu
      rm -f "$WORK"/kefu.db*
      startKefu "$GATEWAY_PORT"
      ;;
    *) sleep 2 ;;
  esac
}

# One step of the search against $1 (see cpsStep), at the address Kamailio or Kefu listens on now
# ($4 for SIPp); restarts it after a step that was not clean.
probe() {
  local label=$1 rate=$2 seconds=$3 target=$4 callee_port=$5
  case $label in
    kamailio) target=$KAMAILIO_ADDR ;;
    kefu) target=$KEFU_SIP ;;
  esac
  if cpsStep "$label" "$rate" "$seconds" "$target" "$callee_port"; then
    return 0
  fi
  restartAfterFailure "$label" "$callee_port" || log "$label: the restart failed"
  return 1
}

# Searches the highest clean rate through $target (see the top of the file); sets RATE to it, 0
# when none was clean.
searchRate() {
  local label=$1 start=$2 target=$3 callee_port=$4
  local best=0 bad=0 rate=$start
  # Up by half at a time until a probe is not clean.
  while ((rate <= MAX_RATE)); do
    if probe "$label" "$rate" "$PROBE_SECONDS" "$target" "$callee_port"; then
      best=$rate
      rate=$(roundRate $((rate * 3 / 2)))
    else
      bad=$rate
      break
    fi
  done
  # Nothing clean at the start: halve until something is.
  while ((best == 0 && rate > 5)); do
    rate=$((rate / 2))
    if probe "$label" "$rate" "$PROBE_SECONDS" "$target" "$callee_port"; then
      best=$rate
    else
      bad=$rate
    fi
  done
  # One probe between the last clean rate and the first that was not.
  local middle i
  if ((bad > 0 && best > 0)); then
    middle=$(roundRate $(((best + bad) / 2)))
    if ((middle > best && middle < bad)) &&
      probe "$label" "$middle" "$PROBE_SECONDS" "$target" "$callee_port"; then
      best=$middle
    fi
  fi
  # Confirm with a full-length step, stepping down by a third while that is not clean (a short
  # probe overestimates what holds for 20 s).
  for ((i = 0; i < 3 && best > 0; i++)); do
    if probe "$label" "$best" "$STEP_SECONDS" "$target" "$callee_port"; then
      # What SIPp set up (within 5 % of the asked rate), not what was asked.
      RATE=$STEP_RATE
      return 0
    fi
    best=$(roundRate $((best * 2 / 3)))
  done
  RATE=0
}

# --- Kefu ------------------------------------------------------------------------------------

# Writes Kefu's configuration: SIP on $2 for trunks from 127.0.0.1, HTTP on $3, its gateway (a
# SIPp callee) on $4. The entry points are created through the API once it runs (createEntryPoints).
writeKefuConfig() {
  local file=$1 sip_port=$2 http_port=$3 gateway_port=$4
  cat >"$file" <<YAML
site:
  name: sipbench
http:
  listen: "127.0.0.1:$http_port"
sip:
  listen: "127.0.0.1:$sip_port"
  trunks: "127.0.0.1"
calls:
  max_calls: 20000
  gateway: "127.0.0.1:$gateway_port"
media:
  port_min: 20000
  port_max: 31999
storage:
  url: "sqlite:$WORK/kefu.db"
log:
  level: warn
auth:
  admin_password: "$ADMIN_PASSWORD"
YAML
}

# POSTs JSON $2 to Kefu's $1 (with the bearer token $3 when given); prints the body; fails unless
# the status is 2xx.
kefuPost() {
  local path=$1 body=$2 token=${3:-} status
  status=$(curl -sS -o "$WORK/response.json" -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' ${token:+-H "Authorization: Bearer $token"} \
    --data "$body" "$KEFU_HTTP$path") || status=000
  if [[ "$status" != 2?? ]]; then
    log "kefu: POST $path answered $status: $(head -c 300 "$WORK/response.json" 2>/dev/null)"
    return 1
  fi
  cat "$WORK/response.json"
}

# Creates the bench's entry points through the API: PROMPT_NUMBER plays the 2 s prompt, and
# HOLD_NUMBER dials GATEWAY_NUMBER on the gateway.
createEntryPoints() {
  local answer token
  answer=$(kefuPost /api/v1/auth/login \
    "{\"username\":\"admin\",\"password\":\"$ADMIN_PASSWORD\"}") || return 1
  token=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])' <<<"$answer") ||
    return 1
  kefuPost /api/v1/entry-points "{\"number\":\"$PROMPT_NUMBER\",\"name\":\"bench-prompt\",
    \"target\":{\"kind\":\"announcement\",\"id\":\"$WORK/prompt.wav\"}}" "$token" >/dev/null ||
    return 1
  kefuPost /api/v1/entry-points "{\"number\":\"$HOLD_NUMBER\",\"name\":\"bench-gateway\",
    \"target\":{\"kind\":\"number\",\"id\":\"$GATEWAY_NUMBER\"}}" "$token" >/dev/null
}

# Starts `kefu serve` with SIP on a free port and its gateway at 127.0.0.1:$1; sets KEFU_PID,
# KEFU_SIP and KEFU_HTTP.
startKefu() {
  local gateway_port=$1 sip_port http_port i config="$WORK/kefu.yaml"
  if [[ ! -x "$KEFU" ]]; then
    log "$KEFU is missing: run 'make build' first"
    return 1
  fi
  sip_port=$(freePort)
  http_port=$(freePort)
  writeKefuConfig "$config" "$sip_port" "$http_port" "$gateway_port"
  if ! "$KEFU" check-config -c "$config" >"$WORK/check-config.out" 2>&1; then
    log "kefu: this build does not take the bench's configuration (sip.trunks, calls.*;" \
      "see writeKefuConfig):"
    grep -v '^ ' "$WORK/check-config.out" | tail -n 3 >&2
    return 1
  fi
  KEFU_SIP="127.0.0.1:$sip_port"
  KEFU_HTTP="http://127.0.0.1:$http_port"
  log "kefu: serve with SIP on $KEFU_SIP, HTTP on $KEFU_HTTP, gateway 127.0.0.1:$gateway_port"
  "${RT[@]}" "$KEFU" serve -c "$config" >"$WORK/kefu.log" 2>&1 &
  KEFU_PID=$!
  for ((i = 0; i < 300; i++)); do
    if ! kill -0 "$KEFU_PID" 2>/dev/null; then
      local status=0
      wait "$KEFU_PID" || status=$?
      KEFU_PID=""
      log "kefu: exited with status $status at start:"
      tail -n 20 "$WORK/kefu.log" >&2
      return 1
    fi
    if [[ $(curl -s -o /dev/null -w '%{http_code}' "$KEFU_HTTP/healthz") == 200 ]] &&
      udpBound "$sip_port"; then
      createEntryPoints || return 1
      return 0
    fi
    sleep 0.1
  done
  log "kefu: /healthz and SIP on $KEFU_SIP not both up within 30 s:"
  tail -n 20 "$WORK/kefu.log" >&2
  return 1
}

# Fails (and says so) when Kefu has died.
kefuAlive() {
  if [[ -n "$KEFU_PID" ]] && ! kill -0 "$KEFU_PID" 2>/dev/null; then
    local status=0
    wait "$KEFU_PID" || status=$?
    KEFU_PID=""
    log "kefu: died (exit status $status); the end of its log:"
    tail -n 20 "$WORK/kefu.log" >&2
    return 1
  fi
  [[ -n "$KEFU_PID" ]]
}

# Prints the sum of every sample of the metric $1 in Kefu's /metrics (0 when absent).
metricSum() {
  curl -s --max-time 5 "$KEFU_HTTP/metrics" | awk -v name="$1" '
    $1 == name || index($1, name "{") == 1 { sum += $NF }
    END { printf "%.0f\n", sum }'
}

# Prints the CPU time (user + system, in clock ticks) process $1 has used so far.
cpuTicks() {
  awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# Waits (up to 15 s) until Kefu has no call left from the previous step; logs what its counters
# say about the calls so far.
kefuDrain() {
  local i active
  for ((i = 0; i < 150; i++)); do
    active=$(metricSum kefu_calls_active)
    ((active == 0)) && break
    sleep 0.1
  done
  log "  kefu: $active calls active; so far $(metricSum kefu_calls_created_total) created," \
    "$(metricSum kefu_calls_ended_announcement_done_total) ended after the prompt," \
    "$(metricSum kefu_calls_ended_failed_total) failed," \
    "$(metricSum kefu_calls_rejected_overload_total) rejected for overload," \
    "$(metricSum kefu_media_packets_sent_total) RTP packets sent"
}

# One step of sip_concurrent_calls: $calls calls set up at RAMP_RATE, all held together for
# HOLD_SECONDS while the relayed-packet counter is sampled. Succeeds when clean.
holdStep() {
  local calls=$1 gateway_port=$2
  local dir="$WORK/hold-$calls" ramp call_ms status=0 clean=0
  mkdir -p "$dir"
  ramp=$(((calls + RAMP_RATE - 1) / RAMP_RATE))
  # Every call lasts the ramp, the hold window and a second of margin on each side, so that
  # all of them overlap for the whole window.
  call_ms=$(((ramp + HOLD_SECONDS + 2) * 1000))
  ln -s "$WORK/hold_ulaw.wav" "$dir/hold_ulaw.wav"
  startCallee "$dir" uas_echo.xml "$gateway_port" -rtp_echo -m "$calls"
  local callee=$CALLEE_PID
  sleep 0.3
  log "concurrent: $calls calls (set up at $RAMP_RATE calls/s, held together for $HOLD_SECONDS s)"
  # -rtp_threadtasks: SIPp's default of 20 streams per playback thread makes 100 threads at
  # 2,000 calls whose pacing falls behind (the caller sent about 75 % of its packets); 400 per
  # thread keeps it at the full rate.
  startCaller "$dir" uac_hold.xml "$KEFU_SIP" "$HOLD_NUMBER" "$RAMP_RATE" "$calls" \
    $((ramp + HOLD_SECONDS + 60)) -d "$call_ms" -rtp_threadtasks 400
  local caller=$CALLER_PID
  # Samples the counter inside the window: from 2 s after the last call is set up to 2 s
  # before the first one hangs up.
  sleep $((ramp + 2))
  local t1 t2 p1 p2 r1 r2 cpu1 cpu2
  t1=$(date +%s.%N)
  p1=$(metricSum kefu_media_packets_relayed_total)
  r1=$(metricSum kefu_media_packets_received_total)
  cpu1="$(cpuTicks "$KEFU_PID") $(cpuTicks "$caller") $(cpuTicks "$callee")"
  sleep $((HOLD_SECONDS - 4))
  t2=$(date +%s.%N)
  p2=$(metricSum kefu_media_packets_relayed_total)
  r2=$(metricSum kefu_media_packets_received_total)
  cpu2="$(cpuTicks "$KEFU_PID") $(cpuTicks "$caller") $(cpuTicks "$callee")"
  log "  during the window: kefu received $(python3 -c "print(round(($r2 - $r1) / ($t2 - $t1)))")" \
    "packets/s; CPU (% of a core) kefu, caller SIPp, gateway SIPp: $(python3 -c "
a, b, d = [int(x) for x in '$cpu1'.split()], [int(x) for x in '$cpu2'.split()], $t2 - $t1
print(', '.join(f'{(y - x) / $(getconf CLK_TCK) / d * 100:.0f}' for x, y in zip(a, b)))")"
  waitSipp "$caller" "$dir" || status=$?
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$callee" 2>/dev/null || break
    sleep 0.1
  done
  stopPid "$callee"
  judgeSide "$dir" caller "$calls" 0 "$ramp" || clean=1
  judgeSide "$dir" callee "$calls" 0 "$ramp" || clean=1
  if [[ $status -ne 0 ]]; then
    # With many rtp_stream calls SIPp 3.6 can be slow to exit after its last call and then
    # ends on its global timeout; the statistics above are what counts.
    log "  caller: SIPp exited with status $status"
  fi
  local pps expected
  pps=$(python3 -c "print(round(($p2 - $p1) / ($t2 - $t1)))")
  expected=$((calls * 100))
  log "  kefu relayed $pps packets/s during the window (expected about $expected:" \
    "50/s per direction per call)"
  if ((pps * 10 < expected * 9)); then
    log "  audio is not flowing for every call (less than 90 % of the expected packets)"
    clean=1
  fi
  kefuAlive || clean=1
  if [[ $clean -eq 0 ]]; then
    log "  clean"
  else
    log "  NOT clean"
  fi
  rm -rf "$dir"
  return $clean
}

# --- main ------------------------------------------------------------------------------------

main() {
  trap cleanup EXIT
  trap 'log "interrupted"; exit 130' INT
  trap 'log "terminated"; exit 143' TERM
  local any=0 figure
  for figure in "${FIGURES[@]}"; do
    wanted "$figure" && any=1
  done
  if [[ $any -eq 0 ]]; then
    log "no figure starts with '$PREFIX'; figures: ${FIGURES[*]}"
    exit 2
  fi
  local tool
  for tool in sipp sox python3 curl; do
    command -v "$tool" >/dev/null || {
      log "$tool is not installed (scripts/deps.sh installs it)"
      exit 1
    }
  done
  # SIPp runs one priority above what it measures: a generator that falls behind would send
  # fewer packets and calls than asked and make the measured side look better or worse than it is.
  case "${SIP_BENCH_RT:-auto}" in
    1) RT=(chrt -r 10) RT_SIPP=(chrt -r 11) ;;
    0) RT=() RT_SIPP=() ;;
    *) if chrt -r 11 true 2>/dev/null; then RT=(chrt -r 10) RT_SIPP=(chrt -r 11); fi ;;
  esac
  log "measured processes run ${RT[*]:-with the default scheduler}, SIPp ${RT_SIPP[*]:-too};" \
    "load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"

  WORK=$(mktemp -d /tmp/kefu-sip-bench.XXXXXX)
  chmod 711 "$WORK" # Kamailio drops to its own user and must reach its run directory.
  # The prompt: 2 s of 8 kHz mono 16-bit; the callers' stream: mu-law, as long as the longest
  # call of sip_concurrent_calls.
  sox -n -r 8000 -c 1 -b 16 -e signed-integer "$WORK/prompt.wav" synth 2 sine 440 vol 0.5
  local longest=$((HOLD_SECONDS + 30)) n
  for n in "${CALL_STEPS[@]}"; do
    ((n / RAMP_RATE + HOLD_SECONDS + 5 > longest)) && longest=$((n / RAMP_RATE + HOLD_SECONDS + 5))
  done
  sox -n -r 8000 -c 1 -e mu-law -b 8 "$WORK/hold_ulaw.wav" synth "$longest" sine 1000 vol 0.5

  local kamailio=0 kefu=0 ratio_wanted=0
  [[ "$AGAINST" == kefu ]] && wanted sip_cps_ratio_to_kamailio && ratio_wanted=1

  if wanted kamailio_cps || ((ratio_wanted)); then
    measureKamailio
    kamailio=$RATE
    if ((kamailio > 0)); then
      wanted kamailio_cps && echo "bench: kamailio_cps $kamailio calls/s"
    else
      fail "kamailio_cps: no clean rate"
    fi
  fi

  if [[ "$AGAINST" == sipp ]]; then
    # The scenarios and the search, with SIPp's own callee in Kefu's place.
    local callee_port
    callee_port=$(freePort)
    searchRate sipp "$KEFU_START" "127.0.0.1:$callee_port" "$callee_port"
    echo "bench: sipp_uas_cps_prompt_2s $RATE calls/s"
    exit "$FAILED"
  fi

  local need_kefu_cps=0 need_hold=0
  { wanted sip_cps_prompt_2s || ((ratio_wanted)); } && need_kefu_cps=1
  wanted sip_concurrent_calls && need_hold=1
  if ((need_kefu_cps || need_hold)); then
    GATEWAY_PORT=$(freePort)
    if ! startKefu "$GATEWAY_PORT"; then
      stopKefu
      fail "no Kefu figure measured: kefu serve did not start with SIP and entry points"
      exit "$FAILED"
    fi
  fi

  if ((need_kefu_cps)); then
    searchRate kefu "$KEFU_START" "$KEFU_SIP" ""
    kefu=$RATE
    kefuAlive || fail "sip_cps_prompt_2s: Kefu died during the search"
    if ((kefu > 0)); then
      wanted sip_cps_prompt_2s && echo "bench: sip_cps_prompt_2s $kefu calls/s"
    else
      fail "sip_cps_prompt_2s: no clean rate"
    fi
  fi
  if ((ratio_wanted && kefu > 0 && kamailio > 0)); then
    echo "bench: sip_cps_ratio_to_kamailio $(python3 -c "print(f'{$kefu / $kamailio:.3f}')") ratio"
  elif ((ratio_wanted)); then
    fail "sip_cps_ratio_to_kamailio: needs both rates"
  fi

  if ((need_hold)) && kefuAlive; then
    local best=0
    for n in "${CALL_STEPS[@]}"; do
      if holdStep "$n" "$GATEWAY_PORT"; then
        best=$n
      else
        break
      fi
    done
    if ((best > 0)); then
      echo "bench: sip_concurrent_calls $best calls"
    else
      fail "sip_concurrent_calls: not even ${CALL_STEPS[0]} calls were clean"
    fi
  fi
  stopKefu
  exit "$FAILED"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main
fi
