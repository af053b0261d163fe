#!/bin/sh
# with_served_port.sh COMMAND [ARGUMENT]...
# Runs COMMAND with every "{PORT}" in its arguments replaced by the port a server beside it
# listens on. The server runs ahead of it in a pipe (run_viewer.cmake), listening on port 0 so
# that tests run at once, or a port taken by something else on the machine, cannot collide; the
# port it was given is known only from the line it prints, "http://127.0.0.1:PORT...", which
# arrives on standard input. Lines read before it are copied to standard error, so that a test's
# report shows them.
while IFS= read -r line; do
  printf '%s\n' "$line" >&2
  port=$(printf '%s\n' "$line" | sed -n 's|.*http://127[.]0[.]0[.]1:\([0-9][0-9]*\).*|\1|p')
  if [ -n "$port" ]; then
    for argument; do
      shift
      set -- "$@" "$(printf '%s' "$argument" | sed "s/{PORT}/$port/g")"
    done
    exec "$@"
  fi
done
echo "with_served_port.sh: the server ended without naming the port it listens on" >&2
exit 1
