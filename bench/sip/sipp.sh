# SIPp helpers of scripts/sip_bench.sh (sourced by it; not run on its own): free ports, the
# caller and callee processes, and reading their statistics. They use the script's globals (WORK,
# PIDS, RT_SIPP, SCENARIOS, CALLEE_PID, CALLER_PID, STEP_RATE) and its log().
# shellcheck shell=bash

# Prints a port free on 127.0.0.1 for both UDP and TCP (SIP listeners take both).
freePort() {
  python3 - <<'EOF'
import socket
for _ in range(100):
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    port = udp.getsockname()[1]
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        tcp.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        tcp.close()
        udp.close()
    print(port)
    break
EOF
}

# Prints an even UDP port P with P+2 free too (SIPp's media socket and its echo companion).
freeMediaPort() {
  python3 - <<'EOF'
import socket
for _ in range(200):
    a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    a.bind(("127.0.0.1", 0))
    port = a.getsockname()[1] & ~1
    a.close()
    held = []
    try:
        for p in (port, port + 1, port + 2, port + 3):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            held.append(s)
            s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        for s in held:
            s.close()
    print(port)
    break
EOF
}

# Succeeds when something is bound to UDP 127.0.0.1:$1 (no iproute2 needed).
udpBound() {
  python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(0)
sys.exit(1)
EOF
}

# Stops one background process: SIGTERM, then SIGKILL after 5 s.
stopPid() {
  local pid=$1 i
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# Reads SIPp's statistics file (-trace_stat, one row a second) and its final screen; prints
# "CREATED SUCCESSFUL FAILED UNEXPECTED OUT_OF_CALL RETRANSMISSIONS CREATION_SECONDS LENGTH" where
# CREATION_SECONDS is the elapsed time of the first row that had created every call and LENGTH
# the average call length in seconds.
sippFigures() {
  local csv=$1 calls=$2
  python3 - "$csv" "$calls" <<'EOF'
import csv, sys
path, calls = sys.argv[1], int(sys.argv[2])
with open(path, newline="") as f:
    rows = list(csv.reader(f, delimiter=";"))
if len(rows) < 2:
    sys.exit(1)
head = rows[0]
col = {name: i for i, name in enumerate(head)}
def value(row, name):
    return int(row[col[name]])
def seconds(text):
    # "HH:MM:SS", or "HH:MM:SS:uuuuuu" for call lengths.
    parts = text.split(":")
    micro = int(parts[3]) / 1e6 if len(parts) > 3 else 0.0
    return int(parts[0]) * 3600 + int(parts[1]) * 60 + int(parts[2]) + micro
def stamp(row, name):
    # "2026-11-24<TAB>03:11:13.374436<TAB>1795489873.374436": the last field is Unix time.
    return float(row[col[name]].split()[-1])
last = rows[-1]
creation = -1.0
before_time, before_count = stamp(rows[1], "StartTime"), 0
for row in rows[1:]:
    now, count = stamp(row, "CurrentTime"), value(row, "TotalCallCreated")
    if count >= calls:
        # Interpolates between the rows around the last call's creation.
        share = (calls - before_count) / max(count - before_count, 1)
        creation = before_time + share * (now - before_time) - stamp(row, "StartTime")
        break
    before_time, before_count = now, count
print(value(last, "TotalCallCreated"), value(last, "SuccessfulCall(C)"),
      value(last, "FailedCall(C)"), value(last, "FailedUnexpectedMessage(C)"),
      value(last, "OutOfCallMsgs(C)"), value(last, "Retransmissions(C)"), creation,
      f'{seconds(last[col["CallLength(C)"]]):.2f}')
EOF
}

# Starts a SIPp callee in $dir on $port with the scenario file $2 and any extra arguments;
# sets CALLEE_PID and appends it to PIDS. (No command substitution here or in the callers: a
# subshell would own the process and the trap would not know it.)
startCallee() {
  local dir=$1 scenario=$2 port=$3
  shift 3
  local media control
  media=$(freeMediaPort)
  control=$(freePort)
  (cd "$dir" && exec "${RT_SIPP[@]}" sipp -sf "$SCENARIOS/$scenario" -i 127.0.0.1 -p "$port" \
    -mp "$media" -cp "$control" -ci 127.0.0.1 -nostdin -trace_stat -stf callee.csv -fd 1 \
    -trace_screen -screen_file callee.screen -trace_err "$@" \
    </dev/null >"$dir/callee.out" 2>&1) &
  CALLEE_PID=$!
  PIDS+=("$CALLEE_PID")
}

# Prints SIPp's -l for $1 calls: all of them, within the descriptor limit (SIPp warns beyond it).
openCallLimit() {
  local limit
  limit=$(($(ulimit -n) - 100))
  echo $(($1 + 10 < limit ? $1 + 10 : limit))
}

# Starts the SIPp caller scenario $2 from $dir against $target for $calls calls at $rate calls/s
# (extra arguments follow); sets CALLER_PID and appends it to PIDS.
startCaller() {
  local dir=$1 scenario=$2 target=$3 service=$4 rate=$5 calls=$6 limit_seconds=$7
  shift 7
  local port media control
  port=$(freePort)
  media=$(freeMediaPort)
  control=$(freePort)
  (cd "$dir" && exec "${RT_SIPP[@]}" sipp -sf "$SCENARIOS/$scenario" -i 127.0.0.1 -p "$port" \
    -mp "$media" -cp "$control" -ci 127.0.0.1 -s "$service" "$target" -r "$rate" -m "$calls" \
    -l "$(openCallLimit "$calls")" -nostdin -timeout "$limit_seconds" -timeout_error \
    -trace_stat -stf caller.csv -fd 1 -trace_screen -screen_file caller.screen -trace_err "$@" \
    </dev/null >"$dir/caller.out" 2>&1) &
  CALLER_PID=$!
  PIDS+=("$CALLER_PID")
}

# Prints the last FailedCall(C) of a SIPp statistics file (0 while it has no row).
failedSoFar() {
  awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "FailedCall(C)") c = i }
    NR > 1 { last = $c } END { print last + 0 }' "$1" 2>/dev/null || echo 0
}

# Waits for a SIPp caller started by this script and returns its exit status; stops it as soon
# as its statistics (or those of the SIPp callee in the same directory) count a failed call, so
# that an overloaded step does not wait for every call to time out.
waitSipp() {
  local pid=$1 dir=$2 status=0
  while kill -0 "$pid" 2>/dev/null; do
    if (($(failedSoFar "$dir/caller.csv") > 0 || $(failedSoFar "$dir/callee.csv") > 0)); then
      log "  a call failed: stopping the step"
      # The step has failed: its statistics are on disk (-fd 1), so no graceful exit is needed.
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      return 1
    fi
    sleep 0.5
  done
  wait "$pid" || status=$?
  return $status
}

# Judges a finished SIPp side from its files in $dir ($2: caller or callee); sets STEP_RATE for
# the caller. Returns non-zero, with the reason logged, when the side was not clean.
judgeSide() {
  local dir=$1 side=$2 calls=$3 rate=$4 figures
  local created ok failed unexpected outofcall retrans creation length
  if ! figures=$(sippFigures "$dir/$side.csv" "$calls" 2>/dev/null); then
    log "  $side: no statistics (SIPp did not run; its output follows)"
    tail -n 5 "$dir/$side.out" >&2 || true
    return 1
  fi
  read -r created ok failed unexpected outofcall retrans creation length <<<"$figures"
  log "  $side: created $created, successful $ok, failed $failed, unexpected $unexpected," \
    "out-of-call $outofcall, retransmissions $retrans, average length ${length} s"
  # Rate 0: set-up speed is not judged (the calls of sip_concurrent_calls).
  if [[ "$side" == caller && "$rate" -gt 0 ]]; then
    STEP_RATE=$(python3 -c "print(round($calls / $creation) if $creation > 0 else 0)")
    if ((STEP_RATE == 0)); then
      log "  caller: stopped before every call was set up"
      return 1
    fi
    if ((STEP_RATE * 100 < rate * 95)); then
      log "  caller: SIPp did not keep $rate calls/s (it set up $STEP_RATE calls/s)"
      return 1
    fi
  fi
  if [[ "$ok" -ne "$calls" || "$failed" -ne 0 || "$unexpected" -ne 0 || "$outofcall" -ne 0 ]]; then
    local pattern=uac_ errors
    [[ "$side" == callee ]] && pattern=uas_
    for errors in "$dir/$pattern"*_errors.log; do
      if [[ -s "$errors" ]]; then
        log "  $side: first errors:"
        head -n 6 "$errors" | cut -c1-200 | sed 's/^/    /' >&2
      fi
    done
    return 1
  fi
  return 0
}
