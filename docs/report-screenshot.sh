#!/usr/bin/env sh
# Makes docs/report.png, the README's picture of a report: the example model_stock merge with --report,
# its report.html shot by headless Chromium at a laptop's width. Needs chromium (Debian: apt-get install chromium).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
./jmerge examples/model_stock.yml "$work/out" --report --quiet
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$work/profile" \
  --window-size=1366,1240 --screenshot="$root/docs/report.png" "file://$work/out/report.html" >/dev/null 2>&1
echo "wrote docs/report.png"
