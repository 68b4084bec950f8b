#!/usr/bin/env bash
# Renders the README's two screenshots of the replay and the lab:
#   docs/img/server-crash-replay.png  report.html's replay of scenarios/02-server-crash.toml at 20:15
#   docs/img/lab.png                  `tiersim lab` on 02-server-crash with six servers
#
# Usage: docs/img/screenshots.sh [TIERSIM]   (from anywhere; TIERSIM defaults to target/release/tiersim)
# Needs chromium (headless). Touches nothing outside docs/img/ and a temporary directory, and
# talks to 127.0.0.1 only.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
tiersim=${1:-target/release/tiersim}
case $tiersim in /*) ;; *) tiersim=$PWD/$tiersim ;; esac
[ -x "$tiersim" ] || { echo "screenshots.sh: $tiersim is not an executable tiersim" >&2; exit 2; }
command -v chromium >/dev/null || { echo "screenshots.sh: chromium is needed" >&2; exit 2; }
cd "$root"

tmp=$(mktemp -d)
lab_pid=
cleanup() {
  if [ -n "$lab_pid" ]; then kill -INT "$lab_pid" 2>/dev/null || true; wait "$lab_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# shot URL OUT.png WIDTH,HEIGHT: a headless screenshot of the window, after the page's scripts
# and requests have settled (virtual time), with no traffic other than the page's own.
shot() {
  local sandbox=()
  rm -f "$tmp/shot.png"
  [ "$(id -u)" -ne 0 ] || sandbox=(--no-sandbox)
  if ! timeout 120 chromium --headless "${sandbox[@]}" --disable-gpu --hide-scrollbars \
      --user-data-dir="$tmp/profile" --no-first-run --no-default-browser-check \
      --disable-background-networking --disable-component-update --disable-sync \
      --disable-default-apps --disable-extensions --force-device-scale-factor=1 \
      --virtual-time-budget=15000 --window-size="$3" --screenshot="$tmp/shot.png" "$1" \
      >"$tmp/chromium.log" 2>&1 || [ ! -s "$tmp/shot.png" ]; then
    cat "$tmp/chromium.log" >&2
    echo "screenshots.sh: no screenshot $2" >&2
    exit 1
  fi
  mv "$tmp/shot.png" "$2"
  echo "wrote $2"
}

# 1. The replay: a copy of report.html that shows only its replay section, moved to 20:15.
"$tiersim" run scenarios/02-server-crash.toml --out "$tmp/out" -q >/dev/null
page=$tmp/out/server-crash/report.html
[ -f "$page" ] || { echo "screenshots.sh: $page was not written" >&2; exit 1; }
grep -q '<section id="replay"' "$page" || { echo "screenshots.sh: $page has no replay" >&2; exit 1; }
at_ms=$(((20 * 3600 + 15 * 60) * 1000)) # 20:15:00 of simulated time
sed "s#</body>#<style>body>*:not(\#replay){display:none!important}body{padding-top:0}\#replay h2{margin-top:.6rem}</style>\
<script>document.querySelector('\#replay .replay-root').tiersimReplay.seek($at_ms);</script>\n</body>#" \
  "$page" >"$tmp/replay.html"
shot "file://$tmp/replay.html" docs/img/server-crash-replay.png 1180,720

# 2. The lab: its first line gives the address; the query holds the state (docs/lab.md).
mkfifo "$tmp/lab.out"
"$tiersim" lab --port 0 >"$tmp/lab.out" 2>"$tmp/lab.err" &
lab_pid=$!
exec 3<"$tmp/lab.out"
url=
IFS= read -r -t 30 line <&3 || true
case ${line:-} in "lab: http://127.0.0.1:"*/) url=${line#lab: } ;; esac
[ -n "$url" ] || { echo "screenshots.sh: the lab did not start: ${line:-}" >&2; cat "$tmp/lab.err" >&2; exit 1; }
cat <&3 >/dev/null & # keep reading, so the lab never blocks on a full pipe
shot "${url}?s=02-server-crash.toml&servers.count=6&p.users_forced_login=3333" docs/img/lab.png 1300,1640
kill -INT "$lab_pid"
status=0
wait "$lab_pid" || status=$?
lab_pid=
exec 3<&-
[ "$status" -eq 0 ] || { echo "screenshots.sh: the lab exited with status $status" >&2; cat "$tmp/lab.err" >&2; exit 1; }
