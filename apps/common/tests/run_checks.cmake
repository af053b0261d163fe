# What the apps' end-to-end test drivers share (nebula-demo's run_demo.cmake, nebula-viewer's
# run_viewer.cmake, both run by CTest with `cmake -P`): running the program, checking how it ended
# and what it printed, and a check afterwards. Every failure shows the command and its output.

# nebula_run(NAME <program's name> EXIT <status> COMMAND <command>... [SERVER <command>...])
# Runs COMMAND, with SERVER ahead of it in a pipe where given (SERVER's output is COMMAND's input;
# how SERVER ends is not checked), and fails unless COMMAND exits with EXIT. A crash (a signal
# rather than an exit status) always fails, whatever EXIT says. Sets stdout, stderr, status,
# command_line and report (the command and its output, for the checks after it) in the caller's
# scope.
function(nebula_run)
  cmake_parse_arguments(PARSE_ARGV 0 run "" "NAME;EXIT" "COMMAND;SERVER")
  if(run_SERVER)
    execute_process(
      COMMAND ${run_SERVER}
      COMMAND ${run_COMMAND}
      RESULTS_VARIABLE statuses OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr TIMEOUT 240)
    list(GET statuses -1 status)
    string(REPLACE ";" " " command_line "${run_SERVER} | ${run_COMMAND}")
  else()
    execute_process(
      COMMAND ${run_COMMAND}
      RESULT_VARIABLE status OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr TIMEOUT 240)
    string(REPLACE ";" " " command_line "${run_COMMAND}")
  endif()
  set(report "command: ${command_line}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}")

  if(NOT status MATCHES "^[0-9]+$")
    message(FATAL_ERROR "${run_NAME} did not exit normally (${status})\n${report}")
  endif()
  if(NOT status EQUAL run_EXIT)
    message(FATAL_ERROR "exit status ${status}, expected ${run_EXIT}\n${report}")
  endif()
  foreach(result stdout stderr status command_line report)
    set(${result} "${${result}}" PARENT_SCOPE)
  endforeach()
endfunction()

# nebula_expect_output(<stdout|stderr> MATCHES|EXCLUDES <regex>)
# After nebula_run: fails unless the stream matches the regular expression (CMake's; \n stands
# for a line break), or with EXCLUDES, unless it does not.
function(nebula_expect_output stream mode pattern)
  string(REPLACE "\\n" "\n" regex "${pattern}")
  set(output "${${stream}}")
  set(name "standard output")
  if(stream STREQUAL "stderr")
    set(name "standard error")
  endif()
  if(mode STREQUAL "MATCHES")
    if(NOT output MATCHES "${regex}")
      message(FATAL_ERROR "${name} does not match '${pattern}'\n${report}")
    endif()
  elseif(mode STREQUAL "EXCLUDES")
    if(output MATCHES "${regex}")
      message(FATAL_ERROR "${name} matches '${pattern}'\n${report}")
    endif()
  else()
    message(FATAL_ERROR "nebula_expect_output: MATCHES or EXCLUDES, not '${mode}'")
  endif()
endfunction()

# nebula_check_after(<command>...)
# After nebula_run: a command that must exit 0 (a check of what the program wrote); its output is
# shown either way.
function(nebula_check_after)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE then_status OUTPUT_VARIABLE then_output
                  ERROR_VARIABLE then_output)
  if(NOT then_status EQUAL 0)
    message(FATAL_ERROR "check failed (${then_status}): ${then_output}\n${report}")
  endif()
  message(STATUS "${then_output}")
endfunction()
