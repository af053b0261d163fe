#!/usr/bin/env bash
# Installs every Debian package nebula-debug needs to build, test, benchmark and run the demo.
# Non-interactive and idempotent; runs as root or through sudo.
#   scripts/setup.sh          the Linux build
#   scripts/setup.sh mingw    also the Windows cross toolchain (MinGW-w64, POSIX threads) and Wine,
#                             for the mingw preset only (a few hundred MB the default build skips)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang-format clang libfuzzer-14-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libspdlog-dev libfmt-dev libtomlplusplus-dev nlohmann-json3-dev
  libimgui-dev libglfw3-dev libgl-dev libgl1-mesa-dri libbullet-dev
  xvfb xauth python3 python3-matplotlib
  libjemalloc2 libmimalloc2.0 libtcmalloc-minimal4
  libdw-dev zlib1g-dev golang-go libunwind-dev
  libcpp-httplib-dev prometheus
  valgrind
)
case "${1:-}" in
  "") ;;
  mingw) packages+=(g++-mingw-w64-x86-64-posix wine wine64 googletest libz-mingw-w64-dev) ;;
  *) echo "setup: unknown extra '$1' (expected: mingw)" >&2; exit 2 ;;
esac

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' ||
    missing+=("$package")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo_cmd=()
else
  sudo_cmd=(sudo)
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
