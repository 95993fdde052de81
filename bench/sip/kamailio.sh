# Kamailio, the scale reference of scripts/sip_bench.sh (sourced by it; not run on its own):
# starts it as a stateful proxy from bench/sip/kamailio.cfg.in and searches its clean rate. Uses the
# script's globals (WORK, RT, SCENARIOS, KAMAILIO_PID, KAMAILIO_ADDR, RATE) and functions.
# shellcheck shell=bash

# Starts Kamailio as a stateful proxy on a free port towards 127.0.0.1:$1; sets KAMAILIO_PID
# and KAMAILIO_ADDR.
startKamailio() {
  local callee_port=$1 port run="$WORK/kamailio" i
  port=$(freePort)
  mkdir -p "$run"
  sed -e "s|@RUN@|$run|g" -e "s|@LISTEN@|127.0.0.1:$port|g" \
    -e "s|@TARGET@|sip:127.0.0.1:$callee_port|g" -e "s|@CHILDREN@|$KAMAILIO_CHILDREN|g" \
    "$SCENARIOS/kamailio.cfg.in" >"$run/kamailio.cfg"
  local -a user=()
  if [[ $(id -u) -eq 0 ]] && id kamailio >/dev/null 2>&1; then
    chown kamailio:kamailio "$run"
    user=(-u kamailio -g kamailio)
  fi
  if ! kamailio -c -f "$run/kamailio.cfg" >"$run/check.log" 2>&1; then
    log "kamailio: the configuration does not check:"
    grep -E 'ERROR|CRITICAL' "$run/check.log" | head -n 5 >&2 || true
    return 1
  fi
  # -m 1024: with less shared memory it runs out at a few thousand calls/s and collapses.
  "${RT[@]}" kamailio -f "$run/kamailio.cfg" -DD -E -m 1024 -M 16 "${user[@]}" -Y "$run" \
    -P "$run/kamailio.pid" >"$run/kamailio.log" 2>&1 &
  KAMAILIO_PID=$!
  for ((i = 0; i < 50; i++)); do
    if ! kill -0 "$KAMAILIO_PID" 2>/dev/null; then
      KAMAILIO_PID=""
      log "kamailio: exited at start:"
      tail -n 10 "$run/kamailio.log" >&2
      return 1
    fi
    if udpBound "$port"; then
      KAMAILIO_ADDR="127.0.0.1:$port"
      return 0
    fi
    sleep 0.1
  done
  log "kamailio: not listening on $port after 5 s"
  return 1
}

# Measures kamailio_cps; sets RATE (0 when none).
measureKamailio() {
  local callee_port
  # shellcheck disable=SC2034  # RATE is read by the caller
  RATE=0
  command -v kamailio >/dev/null || {
    log "kamailio is not installed (scripts/deps.sh installs it)"
    return
  }
  callee_port=$(freePort)
  if ! startKamailio "$callee_port"; then
    stopKamailio
    return
  fi
  log "kamailio: stateful proxy on $KAMAILIO_ADDR ($KAMAILIO_CHILDREN children, -m 1024)" \
    "-> SIPp callee on 127.0.0.1:$callee_port"
  searchRate kamailio "$KAMAILIO_START" "$KAMAILIO_ADDR" "$callee_port"
  stopKamailio
}
