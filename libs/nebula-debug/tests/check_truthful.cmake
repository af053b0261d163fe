# Runs truthful_program.cpp with the leak report and a heap profile at exit, and checks that every
# output names the program's own functions first, with the tracker's own memory kept out.
#   cmake -DPROGRAM=truthful_program -DPPROF_FILE=truthful.pb.gz [-DGO=/usr/bin/go] -P check_truthful.cmake
cmake_minimum_required(VERSION 3.25)

execute_process(
  COMMAND ${CMAKE_COMMAND} -E env NEBULA_LEAK_REPORT=1 NEBULA_HEAP_PROFILE=${PPROF_FILE}
          ASAN_OPTIONS=detect_leaks=0
          NEBULA_SAMPLING_INTERVAL=65536 NEBULA_SAMPLING_SEED=20261202 "${PROGRAM}"
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)
message(STATUS "${PROGRAM}:\n${output}")
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${PROGRAM}: ${result}")
endif()

function(check output regex)
  if(NOT output MATCHES "${regex}")
    message(FATAL_ERROR "expected /${regex}/ in the output above")
  endif()
endfunction()
function(check_not output regex)
  if(output MATCHES "${regex}")
    message(FATAL_ERROR "did not expect /${regex}/ in the output above")
  endif()
endfunction()

# The top sites: the program's functions, with their lines; the tracker's tags nowhere.
string(REGEX MATCH "site: [^\n]*" top_site "${output}")
check("${top_site}" "^site: \\[(Buffers|Meshes)\\] (game::BufferPool::frame\\(int\\)|game::Mesh::Mesh\\(unsigned long\\)|game::load_mesh\\(unsigned long\\)) at truthful_program\\.cpp:[0-9]+")
check_not("${output}" "site: \\[nebula-debug")
# The exit report, from a program without budgets: the leaked meshes and where they were made.
# (8 meshes, each a Mesh and its positions: the constructor is the program's code too.)
check("${output}" "Live at exit: Meshes 1\\.[0-9]+ MB in 16 allocations[^\n]*\n[^\n]*: (game::Mesh::Mesh\\(unsigned long\\)|game::load_mesh\\(unsigned long\\)) at truthful_program\\.cpp:[0-9]+")
check_not("${output}" "Live at exit: nebula-debug")
# Tracking overhead holds the symbol tables; the program's totals do not.
string(REGEX MATCH "allocated: ([0-9]+) peak: ([0-9]+) overhead: ([0-9]+)" totals "${output}")
if(NOT totals OR CMAKE_MATCH_2 GREATER 40000000)
  message(FATAL_ERROR "the program's peak holds more than its own 28 MiB: ${totals}")
endif()

if(DEFINED GO)
  include(${CMAKE_CURRENT_LIST_DIR}/../../../cmake/go-pprof.cmake)
  pprof(top -top -sample_index=inuse_space)
  # The first row (largest flat) is the program's: the leaked meshes' construction from load_mesh.
  string(REGEX MATCH "flat%[^\n]*\n[^\n]*" first_row "${top}")
  check("${first_row}" "(game::load_mesh|game::Mesh::Mesh)")
  pprof(callers -top -cum -sample_index=inuse_space)
  check("${callers}" "game::load_mesh")
  check_not("${callers}" "libelf|libdw|__run_exit_handlers")
  pprof(tags -tags)
  check_not("${tags}" "nebula-debug")
endif()
