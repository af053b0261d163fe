#!/usr/bin/env bash
# Builds GoogleTest and GoogleMock for Windows from Debian's sources (/usr/src/googletest, package
# googletest) with the MinGW-w64 toolchain, and installs them into build/mingw-deps, where the
# mingw preset finds them. Does nothing when that install is already of the installed sources.
#   scripts/build-gtest-mingw.sh [prefix]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
prefix="${1:-$repo/build/mingw-deps}"
source_dir=/usr/src/googletest
work="$prefix/googletest-build"

if [ ! -f "$source_dir/CMakeLists.txt" ]; then
  echo "build-gtest-mingw: $source_dir is missing: run scripts/setup.sh mingw" >&2
  exit 1
fi
# Rebuilt when Debian's sources or the toolchain file change.
version="$(dpkg-query -W -f='${Version}' googletest) $(sha256sum "$repo/cmake/toolchains/mingw-w64.cmake" | cut -c1-16)"
stamp="$prefix/googletest.version"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$version" ] &&
   [ -f "$prefix/lib/cmake/GTest/GTestConfig.cmake" ]; then
  echo "build-gtest-mingw: GoogleTest ${version% *} already in $prefix"
  exit 0
fi

echo "build-gtest-mingw: building GoogleTest ${version% *} for MinGW-w64 into $prefix"
rm -rf "$work"
mkdir -p "$prefix"
cmake -S "$source_dir" -B "$work" -G Ninja \
  -DCMAKE_TOOLCHAIN_FILE="$repo/cmake/toolchains/mingw-w64.cmake" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
  -DBUILD_GMOCK=ON -DINSTALL_GTEST=ON -DBUILD_SHARED_LIBS=OFF >"$prefix/googletest-configure.log" 2>&1 ||
  { cat "$prefix/googletest-configure.log" >&2; exit 1; }
cmake --build "$work" --parallel "$(nproc)"
cmake --install "$work" >/dev/null
rm -rf "$work"
echo "$version" >"$stamp"
