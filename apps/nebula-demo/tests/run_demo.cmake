# Runs nebula-demo and checks how it ended; a CTest test runs it with `cmake -P`.
#   PROGRAM        the demo
#   ARGS           its arguments, separated by "@@" (CTest would split a ';' list)
#   EXPECT_EXIT    the exit status it must return
#   STDOUT_MATCH   "@@"-separated regular expressions that must all match standard output
#   STDERR_MATCH   the same for standard error
#   LAUNCHER       optional: a command the demo runs under ("@@"-separated), e.g. xvfb-run
#   EXPECT_ROWS    optional: "@@"-separated subsystem names that must each appear as a row of
#                  the terminal table (name, memory columns, usage bar and percentage)
#   MIN_TABLES     optional: how many tables standard output must hold at least
#   FRESH_FILE     optional: a file deleted before the run (so a stale one cannot pass THEN)
#   THEN           optional: a command ("@@"-separated) that must exit 0 afterwards
# A crash (a signal rather than an exit status) always fails, whatever EXPECT_EXIT says.
foreach(variable PROGRAM EXPECT_EXIT)
  if(NOT DEFINED ${variable})
    message(FATAL_ERROR "run_demo.cmake needs -D${variable}=...")
  endif()
endforeach()

foreach(list ARGS STDOUT_MATCH STDERR_MATCH LAUNCHER THEN EXPECT_ROWS)
  string(REPLACE "@@" ";" ${list} "${${list}}")
endforeach()
if(FRESH_FILE)
  file(REMOVE "${FRESH_FILE}")
endif()

execute_process(
  COMMAND ${LAUNCHER} ${PROGRAM} ${ARGS}
  RESULT_VARIABLE status
  OUTPUT_VARIABLE stdout
  ERROR_VARIABLE stderr
  TIMEOUT 240)

string(REPLACE ";" " " command_line "${LAUNCHER} ${PROGRAM} ${ARGS}")
set(report "command: ${command_line}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}")

if(NOT status MATCHES "^[0-9]+$")
  message(FATAL_ERROR "nebula-demo did not exit normally (${status})\n${report}")
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

# A row: the name at the start of a line, then memory values ("12.5 MB", "+4.0 KB", "N/A"),
# then the usage bar and its percentage.
set(memory_value "[+-]?[0-9.]+ [KMG]?B")
foreach(name IN LISTS EXPECT_ROWS)
  set(row "\n${name}( +(${memory_value}|N/A))+ +\\[[#.]+\\] +[0-9]+\\.[0-9]%")
  if(NOT stdout MATCHES "${row}")
    message(FATAL_ERROR "no table row for ${name} in standard output\n${report}")
  endif()
endforeach()
if(MIN_TABLES)
  string(REGEX MATCHALL "Tracked Total: " tables "${stdout}")
  list(LENGTH tables table_count)
  if(table_count LESS MIN_TABLES)
    message(FATAL_ERROR "${table_count} tables printed, expected at least ${MIN_TABLES}\n${report}")
  endif()
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
