# Reads the heap profile a demo run wrote at exit (NEBULA_HEAP_PROFILE) with `go tool pprof`:
# the Meshes memory of the leak scenario must come from the mesher, by name, with no binary. (By
# exit the world is gone and its memory freed: the mesher shows in what was allocated.)
#   cmake -DPPROF_FILE=heap.pb.gz -DGO=/usr/bin/go -P check_demo_profile.cmake
cmake_minimum_required(VERSION 3.25)
foreach(variable PPROF_FILE GO)
  if(NOT DEFINED ${variable})
    message(FATAL_ERROR "check_demo_profile.cmake needs -D${variable}=...")
  endif()
endforeach()

# pprof and go write to $HOME and their caches: a scratch directory in the build instead.
get_filename_component(scratch "${PPROF_FILE}" DIRECTORY)
set(scratch "${scratch}/pprof-home")
file(MAKE_DIRECTORY "${scratch}")
set(go_env HOME=${scratch} PPROF_TMPDIR=${scratch} GOCACHE=${scratch}/cache
    GOPATH=${scratch}/go GOTOOLCHAIN=local GOFLAGS=)

function(expect_pprof pattern)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env ${go_env} "${GO}" tool pprof ${ARGN} "${PPROF_FILE}"
    WORKING_DIRECTORY "${scratch}" RESULT_VARIABLE result OUTPUT_VARIABLE output
    ERROR_VARIABLE errors)
  list(JOIN ARGN " " options)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "go tool pprof ${options} failed (${result}):\n${errors}")
  endif()
  if(NOT output MATCHES "${pattern}")
    message(FATAL_ERROR "go tool pprof ${options}: no match for '${pattern}' in\n${output}")
  endif()
endfunction()

# Every tag as a label, Meshes among them.
expect_pprof("tag: Total [0-9.]+[kMG]?B.*[0-9.]+[kMG]?B [(] *[0-9.]+%[)]: Meshes" -tags -sample_index=alloc_space)
# Within Meshes, the mesher allocated megabytes (-top's flat, flat%, sum%, then cumulative bytes;
# flat is the standard library's allocate, which the mesher's vectors call).
expect_pprof("\n +[0-9.]+[kMG]?B? +[0-9.]+% +[0-9.]+% +[0-9.]+MB +[0-9.]+% +nebula::demo::build_chunk_mesh\n"
             -top -sample_index=alloc_space -tagfocus=tag=Meshes)
# And the default sample type, what is in use at exit, is readable too.
expect_pprof("Type: inuse_space" -top)
