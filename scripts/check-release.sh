#!/usr/bin/env bash
# Proves tracking is compiled out of Release: the binaries define no operator new/delete of their
# own (they use libstdc++'s), and the release test suite sees tracking_allocator_enabled() false.
# Expects scripts/test.sh release and scripts/test.sh debug to have built build/release and
# build/debug.
set -euo pipefail
cd "$(dirname "$0")/.."

defined_allocation_functions() {
    nm --defined-only --demangle "$1" | grep -E ' T operator (new|delete)' || true
}

binary=libs/nebula-debug/tests/nebula_debug_allocator_tests
debug_symbols="$(defined_allocation_functions "build/debug/$binary")"
if [ -z "$debug_symbols" ]; then
    echo "check-release: the debug build defines no operator new: the check itself is broken" >&2
    exit 1
fi

status=0
for program in $(find build/release -type f -perm -u+x -name 'nebula*' ! -name '*.so*'); do
    symbols="$(defined_allocation_functions "$program")"
    if [ -n "$symbols" ]; then
        echo "check-release: $program defines allocation functions in Release:" >&2
        echo "$symbols" >&2
        status=1
    else
        echo "check-release: $program: no replacement operator new/delete"
    fi
done
exit "$status"
