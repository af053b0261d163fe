#!/usr/bin/env bash
# The demo command: installs what is missing, builds nebula-demo and shows the "Memory Usage"
# panel. With a display ($DISPLAY set) it opens the window. Without one it renders the window
# under Xvfb and saves it as a PNG (build/debug/panel.png, or the path given: the README's
# picture is `scripts/demo.sh docs/images/panel.png`), then runs the same workload headless,
# printing the memory table in the terminal.
#
#   scripts/demo.sh [SCREENSHOT.png]
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

if [ "$#" -gt 1 ] || [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  echo "usage: scripts/demo.sh [SCREENSHOT.png]" >&2
  exit 2
fi
screenshot=${1:-build/debug/panel.png}
# Frame 900 is 15 simulated seconds into the explore flight: chunks have streamed in and out
# and the history graphs are filled.
frames=900

scripts/setup.sh
cmake --preset debug
cmake --build --preset debug --target nebula-demo
demo=build/debug/apps/nebula-demo/nebula-demo

if [ -n "${DISPLAY:-}" ]; then
  exec "$demo"
fi

echo "demo: no display; rendering the window under Xvfb into $screenshot"
xvfb-run -a -s "-screen 0 1280x720x24" "$demo" --screenshot "$screenshot" --frames "$frames"
echo
echo "demo: the same run in the terminal (--headless --frames $frames)"
"$demo" --headless --frames "$frames"
echo
echo "demo: the panel's picture is $screenshot"
