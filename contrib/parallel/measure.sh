#!/usr/bin/env bash
# Measures how the wall time of a sweep falls when its 4 shards run 1, 2 and 4 at once under GNU
# parallel, each shard on one thread (RAYON_NUM_THREADS=1), against the whole sweep on one
# thread and on every core; prints the table of docs/scaling.md. Run from the repository's top
# folder after `cargo build --release`:
#
#   contrib/parallel/measure.sh [ROUNDS]     (default 3 rounds; each line is the median)
set -euo pipefail
tiersim=${TIERSIM:-$PWD/target/release/tiersim}
rounds=${1:-3}
scenario=$PWD/scenarios/01-why-sticky.toml
sweep=(--param servers.count=2..8:2 --param users.visits_per_s=20,40 --replications 4 -q)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

seconds() { # the wall seconds of "$@"
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
whole() { RAYON_NUM_THREADS=$1 "$tiersim" sweep "$scenario" "${sweep[@]}" --out whole; }
shards() {
    rm -rf shards
    RAYON_NUM_THREADS=1 parallel --will-cite -j "$1" "$tiersim" sweep "$scenario" \
        "${sweep[@]}" --shard {}/4 --out shards ::: 1 2 3 4
}
merge() { "$tiersim" merge shards --out merged -q; }

measure() { # label, then the command; prints "label | median seconds"
    local label=$1 times=()
    shift
    for _ in $(seq "$rounds"); do times+=("$(seconds "$@")"); done
    printf '| %s | %.1f |\n' "$label" "$(printf '%s\n' "${times[@]}" | median)"
}

echo "| how | wall s |"
echo "|---|---|"
measure "whole sweep, 1 thread" whole 1
measure "whole sweep, every core ($(nproc))" whole "$(nproc)"
measure "4 shards, 1 at once" shards 1
measure "4 shards, 2 at once" shards 2
measure "4 shards, 4 at once" shards 4
measure "merge of the 4 shards" merge
cmp whole/why-sticky-sweep/sweep.csv merged/why-sticky-sweep/sweep.csv
echo "(merged sweep.csv identical to the whole sweep's; load average: $(cut -d' ' -f1-3 /proc/loadavg))"
