#!/usr/bin/env bash
# Kefu under a SIP flood (issue 4, item 6): 100 anchored G.711 calls are held through Kefu's
# gateway (as in sip_concurrent_calls), then SIPp floods Kefu with new INVITEs (bench/sip/
# uac_flood.xml, a 2 s prompt each) well above the rate it sustains. Prints how the flood's INVITEs
# were answered (200, 503 with Retry-After, never: SIPp retransmitted them until it gave up),
# whether the held calls kept their audio (packets relayed per second before, during and after
# the flood) and ended cleanly, and whether Kefu takes calls again afterwards. Not a `make bench`
# figure: a check, reported in docs/benchmarks.md ("Overload").
#
# usage: bench/sip/overload.sh
# Environment: KEFU_BIN (build/bin/kefu); OVERLOAD_RATE (3000 calls/s); OVERLOAD_SECONDS (10);
#   OVERLOAD_HELD (100 calls); OVERLOAD_CALLS: extra `calls:` keys for Kefu's configuration, one
#   "key: value" per line (e.g. "cpu_budget: 40"); SIP_BENCH_RT as in scripts/sip_bench.sh.
# Everything it starts is stopped on exit (scripts/sip_bench.sh's cleanup).

set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/sip_bench.sh
source "$HERE/../../scripts/sip_bench.sh" ""

readonly FLOOD_RATE="${OVERLOAD_RATE:-3000}"
readonly FLOOD_SECONDS="${OVERLOAD_SECONDS:-10}"
readonly HELD="${OVERLOAD_HELD:-100}"
readonly EXTRA_CALLS="${OVERLOAD_CALLS:-}"
readonly HELD_RAMP=50
# The held calls last through the baseline, the flood and the flood's 32 s of retransmissions.
readonly HELD_SECONDS=$((HELD / HELD_RAMP + 8 + FLOOD_SECONDS + 40))
# The held calls' audio is judged over this stretch from the flood's start (so that a /metrics
# answering late under the flood does not matter).
readonly WINDOW_SECONDS=$((FLOOD_SECONDS + 15))

# scripts/sip_bench.sh's configuration, with the extra `calls:` keys.
eval "benchKefuConfig() $(declare -f writeKefuConfig | tail -n +2)"
writeKefuConfig() {
  benchKefuConfig "$@"
  if [[ -n "$EXTRA_CALLS" ]]; then
    python3 - "$1" "$EXTRA_CALLS" <<'PY'
import sys
path, extra = sys.argv[1], sys.argv[2]
lines = open(path).read().split("\n")
at = lines.index("calls:") + 1
lines[at:at] = ["  " + l.strip() for l in extra.strip().split("\n")]
open(path, "w").write("\n".join(lines))
PY
  fi
}

relayed() { metricSum kefu_media_packets_relayed_total; }

# Prints "UNIX_TIME SUM" for the metric $1, or nothing when /metrics does not answer within 1 s.
sampleMetric() {
  local body
  body=$(curl -s --max-time 1 "$KEFU_HTTP/metrics") || return 0
  awk -v name="$1" -v now="$(date +%s.%N)" '
    $1 == name || index($1, name "{") == 1 { sum += $NF; seen = 1 }
    END { if (seen) printf "%s %.0f\n", now, sum }' <<<"$body"
}

# Prints the relayed packets/s over $1 seconds.
relayRate() {
  local t1 t2 p1 p2
  t1=$(date +%s.%N)
  p1=$(relayed)
  sleep "$1"
  t2=$(date +%s.%N)
  p2=$(relayed)
  python3 -c "print(round(($p2 - $p1) / ($t2 - $t1)))"
}

overloadMain() {
  trap cleanup EXIT
  trap 'log "interrupted"; exit 130' INT
  case "${SIP_BENCH_RT:-auto}" in
    1) RT=(chrt -r 10) RT_SIPP=(chrt -r 11) ;;
    0) RT=() RT_SIPP=() ;;
    *) if chrt -r 11 true 2>/dev/null; then RT=(chrt -r 10) RT_SIPP=(chrt -r 11); fi ;;
  esac
  log "kefu $KEFU; load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores;" \
    "extra calls keys: ${EXTRA_CALLS:-none}"
  WORK=$(mktemp -d /tmp/kefu-sip-overload.XXXXXX)
  sox -n -r 8000 -c 1 -b 16 -e signed-integer "$WORK/prompt.wav" synth 2 sine 440 vol 0.5
  sox -n -r 8000 -c 1 -e mu-law -b 8 "$WORK/hold_ulaw.wav" synth $((HELD_SECONDS + 10)) sine 1000 \
    vol 0.5
  GATEWAY_PORT=$(freePort)
  startKefu "$GATEWAY_PORT"

  local held="$WORK/held" flood="$WORK/flood" after="$WORK/after"
  mkdir -p "$held" "$flood" "$after"
  ln -s "$WORK/hold_ulaw.wav" "$held/hold_ulaw.wav"
  startCallee "$held" uas_echo.xml "$GATEWAY_PORT" -rtp_echo -m "$HELD"
  local callee=$CALLEE_PID
  sleep 0.3
  startCaller "$held" uac_hold.xml "$KEFU_SIP" "$HOLD_NUMBER" "$HELD_RAMP" "$HELD" \
    $((HELD_SECONDS + 60)) -d $((HELD_SECONDS * 1000)) -rtp_threadtasks 400
  local holder=$CALLER_PID
  sleep $((HELD / HELD_RAMP + 2))
  log "held calls: $(metricSum kefu_calls_active) active; relayed before the flood:" \
    "$(relayRate 4) packets/s (expected about $((HELD * 100)))"

  log "flood: $FLOOD_RATE calls/s for $FLOOD_SECONDS s"
  local cpu1 cpu2 t1 t2
  cpu1=$(cpuTicks "$KEFU_PID")
  t1=$(date +%s.%N)
  startCaller "$flood" uac_flood.xml "$KEFU_SIP" "$PROMPT_NUMBER" "$FLOOD_RATE" \
    $((FLOOD_RATE * FLOOD_SECONDS)) $((FLOOD_SECONDS + 80)) -trace_counts
  local flooder=$CALLER_PID i samples=() pending=() start
  start=$(sampleMetric kefu_media_packets_relayed_total)
  local end_at
  end_at=$(python3 -c "print(${start%% *} + $WINDOW_SECONDS)")
  while python3 -c "import sys, time; sys.exit(0 if time.time() < $end_at else 1)"; do
    samples+=("$(sampleMetric kefu_media_packets_relayed_total | tr ' ' '@')")
    pending+=("$(sampleMetric kefu_sip_invites_pending | cut -d' ' -f2)")
    [[ -z "${samples[-1]}" ]] && samples[-1]="-"
    [[ -z "${pending[-1]}" ]] && pending[-1]="-"
    sleep 0.5
  done
  cpu2=$(cpuTicks "$KEFU_PID")
  t2=$(date +%s.%N)
  local finish=""
  for ((i = 0; i < 30 && ${#finish} == 0; i++)); do
    finish=$(sampleMetric kefu_media_packets_relayed_total)
  done
  log "kefu CPU from the flood's start: $(python3 -c "
print(round(($cpu2 - $cpu1) / $(getconf CLK_TCK) / ($t2 - $t1) * 100))") % of a core"
  log "relayed packets/s between the samples /metrics answered (\"-\": no answer within 1 s):" \
    "$(python3 - "$start" "${samples[@]}" <<'PY'
import sys
t0, p0 = (float(x) for x in sys.argv[1].split())
out = []
for s in sys.argv[2:]:
    if s == "-":
        out.append("-")
        continue
    t, p = (float(x) for x in s.split("@"))
    out.append(f"{(t - t0):.1f}s:{round((p - p0) / (t - t0)) if t > t0 else 0}")
    t0, p0 = t, p
print(" ".join(out))
PY
)"
  log "INVITEs waiting for call control, each sample: ${pending[*]}"
  if [[ -n "$start" && -n "$finish" ]]; then
    log "held calls' audio over the $(python3 -c "
print(f'{${finish%% *} - ${start%% *}:.1f}')") s from the flood's start: $(python3 -c "
print(round((${finish##* } - ${start##* }) / (${finish%% *} - ${start%% *})))") packets/s relayed" \
      "(expected about $((HELD * 100)))"
  fi
  # Not waitSipp: failed calls (INVITEs never answered) are what is measured here.
  wait "$flooder" || true
  local figures
  figures=$(sippFigures "$flood/caller.csv" 1 2>/dev/null || echo "? ? ? ? ? ? ? ?")
  local created ok failed unexpected outofcall retrans creation length
  read -r created ok failed unexpected outofcall retrans creation length <<<"$figures"
  log "flood caller: created $created, completed $ok (200 or 503), failed $failed (of which" \
    "unexpected $unexpected), out-of-call $outofcall, retransmissions $retrans"
  local counts
  for counts in "$flood"/uac_flood*_counts.csv; do
    [[ -f "$counts" ]] || continue
    log "flood message counts (the last row, non-zero columns):"
    python3 - "$counts" <<'PY' >&2
import sys
rows = [l.rstrip("\n").split(";") for l in open(sys.argv[1]) if l.strip()]
head, last = rows[0], rows[-1]
print("  " + ", ".join(f"{h}={v}" for h, v in zip(head, last)
                       if v not in ("", "0") and not h.endswith("Time")))
PY
  done
  log "kefu: INVITEs received $(metricSum kefu_sip_requests_invite_total), calls created" \
    "$(metricSum kefu_calls_created_total), ended after the prompt" \
    "$(metricSum kefu_calls_ended_announcement_done_total), 5xx sent" \
    "$(metricSum kefu_sip_responses_5xx_total); refused: call limit" \
    "$(metricSum kefu_calls_rejected_overload_total), CPU $(metricSum kefu_calls_rejected_cpu_total)," \
    "backlog $(metricSum kefu_calls_rejected_backlog_total)"

  # After the flood: does Kefu take calls again?
  startCaller "$after" uac_prompt.xml "$KEFU_SIP" "$PROMPT_NUMBER" 20 100 60
  waitSipp "$CALLER_PID" "$after" || true
  figures=$(sippFigures "$after/caller.csv" 100 2>/dev/null || echo "? ? ? ? ? ? ? ?")
  read -r created ok failed unexpected outofcall retrans creation length <<<"$figures"
  log "after the flood, 100 calls at 20 calls/s: successful $ok, failed $failed"

  waitSipp "$holder" "$held" || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$callee" 2>/dev/null || break
    sleep 0.1
  done
  stopPid "$callee"
  figures=$(sippFigures "$held/caller.csv" "$HELD" 2>/dev/null || echo "? ? ? ? ? ? ? ?")
  read -r created ok failed unexpected outofcall retrans creation length <<<"$figures"
  log "held calls: successful $ok of $HELD, failed $failed, retransmissions $retrans"
  kefuAlive || log "kefu died"
  stopKefu
}

overloadMain
