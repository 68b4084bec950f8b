#!/usr/bin/env bash
# How long tiersim takes to exit after SIGINT, in each phase of `run` and `sweep`: the release
# binary runs with TIERSIM_PHASES set (it reports each phase on standard error), the signal is
# sent DELAY seconds after the phase begins, and the time from `kill` to the end of the process
# is measured; TRIES (10) tries per phase, then the median and the largest, in milliseconds.
# Usage: benches/interrupt.sh (from anywhere; it builds the release binary first).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=$PWD/target/release/tiersim
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tries=${TRIES:-10}
cd "$work"
cat > heavy.toml <<'TOML'
name = "heavy"
duration = "4h"
warmup = "10s"
bucket = "1s"
[users]
visits_per_s = 2
[servers]
count = 60
TOML
cat > ring.toml <<'TOML'
name = "ring"
duration = "1h"
[users]
visits_per_s = 20
[servers]
count = 10000
[balancer]
policy = "consistent_hash"
TOML
cat > long.toml <<'TOML'
name = "long"
duration = "2000h"
bucket = "1h"
[users]
visits_per_s = 2
[servers]
count = 2
TOML

# One try: prints the milliseconds from the signal to the exit, or "missed" if the process had
# ended (or left the phase) before the signal.
try() { # phase, delay (s), arguments of tiersim
    local phase=$1 delay=$2
    shift 2
    rm -rf out
    mkfifo err
    TIERSIM_PHASES=1 "$bin" "$@" --out out --quiet 2>err >/dev/null &
    local pid=$! line
    exec 3<err
    rm err
    while IFS= read -r line <&3; do [ "$line" = "phase: $phase" ] && break; done
    sleep "$delay"
    local sent
    sent=$(date +%s%N)
    kill -INT "$pid" 2>/dev/null || true
    local code=0
    wait "$pid" || code=$?
    local ended
    ended=$(date +%s%N)
    exec 3<&-
    if [ "$code" -eq 130 ]; then echo $(((ended - sent) / 1000000)); else echo missed; fi
}

measure() { # label, phase, delay, arguments
    local label=$1
    shift
    local times=() t
    for _ in $(seq "$tries"); do
        t=$(try "$@")
        times+=("$t")
    done
    local ok
    ok=$(printf '%s\n' "${times[@]}" | grep -v missed | sort -n || true)
    local n median max
    n=$(grep -c . <<<"$ok" || true)
    median=$(awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}' <<<"$ok")
    max=$(tail -1 <<<"$ok")
    printf '| %s | %s of %s | %s ms | %s ms |\n' "$label" "$n" "$tries" "$median" "$max"
}

echo "| Phase | Signalled in it | Median | Largest |"
echo "|-------|-----------------|--------|---------|"
measure "simulation (run)" simulation 0.3 run long.toml
measure "ring building (10,000 servers × 128 points)" simulation 0 run ring.toml
measure "replications (run --replications 4)" simulation 0.3 run long.toml --replications 4
measure "sweep simulation (2 points × 2 replications)" simulation 0.3 sweep long.toml \
    --param servers.count=2,3 --replications 2
measure "CSV" csv 0.1 run heavy.toml
measure "charts" charts 0.5 run heavy.toml
measure "report" report 0 run heavy.toml
measure "writing" writing 0 run heavy.toml
