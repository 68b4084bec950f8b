#!/usr/bin/env bash
# The scenario benchmarks: each benchmark scenario run 5 times on one core (taskset -c 0) with
# the release binary, printing per run the --stats line and the peak memory (/usr/bin/time -v),
# then the median requests/s and wall time. `visits` also runs with charts and CSV written, for
# the cost of the outputs. Usage: benches/run.sh [small visits million day population ...]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/tiersim
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
runs=${RUNS:-5}
names=("$@")
[ ${#names[@]} -eq 0 ] && names=(small visits million day population)

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

bench() { # name, extra flags
    local name=$1 flags=$2 label=$1
    [ -n "$flags" ] && label="$1 ($flags)"
    local rates=() walls=() mems=()
    for _ in $(seq "$runs"); do
        local log
        log=$(/usr/bin/time -v taskset -c 0 "$bin" run "benches/scenarios/$name.toml" \
            --out "$out" --quiet --stats $flags 2>&1)
        local stats rate wall mem
        stats=$(grep '^stats:' <<<"$log")
        rate=$(grep -o 'simulated_per_s=[0-9]*' <<<"$stats" | cut -d= -f2)
        wall=$(grep -o 'Elapsed (wall clock) time.*: [0-9:.]*' <<<"$log" | awk '{print $NF}' \
            | awk -F: '{ if (NF == 3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
        mem=$(grep 'Maximum resident set size' <<<"$log" | awk '{print $NF}')
        echo "  $label: $stats wall_total_s=$wall peak_kb=$mem"
        rates+=("$rate"); walls+=("$wall"); mems+=("$mem")
    done
    echo "$label: median simulated requests/s $(printf '%s\n' "${rates[@]}" | median)," \
        "median wall $(printf '%s\n' "${walls[@]}" | median) s," \
        "median peak $(( $(printf '%s\n' "${mems[@]}" | median) / 1024 )) MB"
}

for name in "${names[@]}"; do
    bench "$name" "--no-charts"
    if [ "$name" = visits ]; then
        bench "$name" ""
    fi
done
