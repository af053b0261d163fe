# For `cmake -P` scripts that read a heap profile with `go tool pprof` (the tests' independent
# reader): set PPROF_FILE and GO, include this, then pprof(OUT options...) and expect(OUT regex).
foreach(variable PPROF_FILE GO)
  if(NOT DEFINED ${variable})
    message(FATAL_ERROR "${CMAKE_SCRIPT_MODE_FILE} needs -D${variable}=...")
  endif()
endforeach()

# pprof keeps fetched profiles in $HOME/pprof (or $PPROF_TMPDIR) and go wants a cache and a
# GOPATH: all of them in a scratch directory, so that the test writes nothing outside the build.
get_filename_component(pprof_scratch "${PPROF_FILE}" DIRECTORY)
set(pprof_scratch "${pprof_scratch}/pprof-home")
file(MAKE_DIRECTORY "${pprof_scratch}")
set(pprof_go_env HOME=${pprof_scratch} PPROF_TMPDIR=${pprof_scratch}
    GOCACHE=${pprof_scratch}/cache GOPATH=${pprof_scratch}/go GOTOOLCHAIN=local GOFLAGS=)

# Runs pprof with the given options on PPROF_FILE; its output in `output_variable`.
function(pprof output_variable)
  list(JOIN ARGN " " options)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env ${pprof_go_env} "${GO}" tool pprof ${ARGN} "${PPROF_FILE}"
    WORKING_DIRECTORY "${pprof_scratch}"
    RESULT_VARIABLE result
    OUTPUT_VARIABLE output
    ERROR_VARIABLE errors)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "go tool pprof ${options} ${PPROF_FILE} failed (${result}):\n${errors}")
  endif()
  message(STATUS "go tool pprof ${options}:\n${output}")
  set(${output_variable} "${output}" PARENT_SCOPE)
endfunction()

function(expect output regex)
  if(NOT output MATCHES "${regex}")
    message(FATAL_ERROR "expected /${regex}/ in the output above")
  endif()
endfunction()

function(expect_not output regex)
  if(output MATCHES "${regex}")
    message(FATAL_ERROR "did not expect /${regex}/ in the output above")
  endif()
endfunction()
