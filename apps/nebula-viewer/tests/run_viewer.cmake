# Runs nebula-viewer and checks how it ended; a CTest test runs it with `cmake -P`.
#   PROGRAM        the viewer
#   ARGS           its arguments, separated by "@@" (CTest would split a ';' list)
#   EXPECT_EXIT    the exit status it must return
#   STDOUT_MATCH   "@@"-separated regular expressions that must all match standard output
#   STDERR_MATCH   the same for standard error
#   STDOUT_EXCLUDE "@@"-separated regular expressions that must not match standard output
#   LAUNCHER       optional: a command the viewer runs under ("@@"-separated), e.g. xvfb-run
#   SERVER         optional: a program ("@@"-separated) run beside the viewer, ahead of it in a
#                  pipe (its output is the viewer's input, which the viewer never reads): the
#                  endpoint a URL source connects to. It listens on a port of the system's
#                  choosing (port 0) and prints "http://127.0.0.1:PORT", on standard output or
#                  error; "{PORT}" in ARGS stands for that port (with_served_port.sh). It must end
#                  by itself or when its output is closed; how it ends is not checked.
#   FRESH_FILE     optional: a file deleted before the run, which must exist after it
#   THEN           optional: a command ("@@"-separated) that must exit 0 afterwards
# A crash (a signal rather than an exit status) always fails, whatever EXPECT_EXIT says.
cmake_minimum_required(VERSION 3.25)
include(${CMAKE_CURRENT_LIST_DIR}/../../common/tests/run_checks.cmake)
foreach(variable PROGRAM EXPECT_EXIT)
  if(NOT DEFINED ${variable})
    message(FATAL_ERROR "run_viewer.cmake needs -D${variable}=...")
  endif()
endforeach()
foreach(list ARGS STDOUT_MATCH STDERR_MATCH STDOUT_EXCLUDE LAUNCHER SERVER THEN)
  string(REPLACE "@@" ";" ${list} "${${list}}")
endforeach()
if(FRESH_FILE)
  file(REMOVE "${FRESH_FILE}")
endif()

set(command ${LAUNCHER} ${PROGRAM} ${ARGS})
if(SERVER)
  set(SERVER sh -c [[exec "$@" 2>&1]] sh ${SERVER})
  set(command sh ${CMAKE_CURRENT_LIST_DIR}/with_served_port.sh ${command})
endif()
nebula_run(NAME nebula-viewer EXIT ${EXPECT_EXIT} COMMAND ${command} SERVER ${SERVER})
foreach(pattern IN LISTS STDOUT_MATCH)
  nebula_expect_output(stdout MATCHES "${pattern}")
endforeach()
foreach(pattern IN LISTS STDERR_MATCH)
  nebula_expect_output(stderr MATCHES "${pattern}")
endforeach()
foreach(pattern IN LISTS STDOUT_EXCLUDE)
  nebula_expect_output(stdout EXCLUDES "${pattern}")
endforeach()
if(FRESH_FILE AND NOT EXISTS "${FRESH_FILE}")
  message(FATAL_ERROR "${FRESH_FILE} was not written\n${report}")
endif()
if(THEN)
  nebula_check_after(${THEN})
endif()
message(STATUS "${command_line}: exit ${status} as expected")
