#!/usr/bin/env bash
# Instructions counted by callgrind for three short workloads (whole process, --no-charts):
# repeatable whatever else the machine is doing, so a change's cost can be judged on a shared
# machine. Usage: benches/callgrind.sh [BINARY] (default: target/release/tiersim, built first).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ge 1 ]; then
    bin=$1
else
    cargo build --release --quiet
    bin=target/release/tiersim
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cg() {
    valgrind --tool=callgrind --callgrind-out-file="$out/cg.out" "$bin" run "$@" --out "$out/o" \
        --quiet --no-charts 2>&1 | grep -o 'Collected : [0-9]*' | awk '{print $3}'
}
echo "visits-300 $(cg benches/scenarios/visits-300.toml)"
echo "small-300 $(cg benches/scenarios/small.toml --set duration=300s)"
echo "million-5k $(cg benches/scenarios/million.toml --set users.visits_per_s=5000 \
    --set servers.count=25 --set duration=40s)"
