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
#                  endpoint a URL source connects to. It must end by itself or when its output
#                  is closed; how it ends is not checked.
#   FRESH_FILE     optional: a file deleted before the run, which must exist after it
#   THEN           optional: a command ("@@"-separated) that must exit 0 afterwards
# A crash (a signal rather than an exit status) always fails, whatever EXPECT_EXIT says.
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

if(SERVER)
  execute_process(
    COMMAND ${SERVER}
    COMMAND ${LAUNCHER} ${PROGRAM} ${ARGS}
    RESULTS_VARIABLE statuses OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr TIMEOUT 240)
  list(GET statuses -1 status)
else()
  execute_process(
    COMMAND ${LAUNCHER} ${PROGRAM} ${ARGS}
    RESULT_VARIABLE status OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr TIMEOUT 240)
endif()

string(REPLACE ";" " " command_line "${SERVER} | ${LAUNCHER} ${PROGRAM} ${ARGS}")
set(report "command: ${command_line}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}")
if(NOT status MATCHES "^[0-9]+$")
  message(FATAL_ERROR "nebula-viewer did not exit normally (${status})\n${report}")
endif()
if(NOT status EQUAL EXPECT_EXIT)
  message(FATAL_ERROR "exit status ${status}, expected ${EXPECT_EXIT}\n${report}")
endif()
foreach(pattern IN LISTS STDOUT_MATCH)
  if(NOT stdout MATCHES "${pattern}")
    message(FATAL_ERROR "standard output does not match '${pattern}'\n${report}")
  endif()
endforeach()
foreach(pattern IN LISTS STDERR_MATCH)
  if(NOT stderr MATCHES "${pattern}")
    message(FATAL_ERROR "standard error does not match '${pattern}'\n${report}")
  endif()
endforeach()
foreach(pattern IN LISTS STDOUT_EXCLUDE)
  if(stdout MATCHES "${pattern}")
    message(FATAL_ERROR "standard output matches '${pattern}'\n${report}")
  endif()
endforeach()
if(FRESH_FILE AND NOT EXISTS "${FRESH_FILE}")
  message(FATAL_ERROR "${FRESH_FILE} was not written\n${report}")
endif()
if(THEN)
  execute_process(COMMAND ${THEN} RESULT_VARIABLE then_status OUTPUT_VARIABLE then_output
                  ERROR_VARIABLE then_output)
  if(NOT then_status EQUAL 0)
    message(FATAL_ERROR "check failed (${then_status}): ${then_output}\n${report}")
  endif()
  message(STATUS "${then_output}")
endif()
message(STATUS "${command_line}: exit ${status} as expected")
