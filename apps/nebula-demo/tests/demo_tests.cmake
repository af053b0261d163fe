# nebula_demo_tests(TABLE <file> PREFIX <prefix> [FIXTURES_SETUP <name>] [LABELS <label>...]):
# a CTest test <prefix>NAME for each block of a table of demo runs (demo_tests.txt says what a
# block holds), run by run_demo.cmake. Here too: the values and conditions the tables name (set
# in the including directory's scope, where the function reads them).
set(nebula_demo_tests_dir ${CMAKE_CURRENT_LIST_DIR})
find_package(Python3 REQUIRED COMPONENTS Interpreter)
find_program(NEBULA_GO go)
find_program(XVFB_RUN xvfb-run)
find_library(nebula_demo_jemalloc NAMES libjemalloc.so.2)
find_library(nebula_demo_mimalloc NAMES libmimalloc.so.2)
find_library(nebula_demo_tcmalloc NAMES libtcmalloc_minimal.so.4)

# The table's conditions. preload: the other C allocators go under the demo only in a static
# build without a sanitizer, whose runtime must come first.
set(nebula_demo_conditions tracking go preload dev_full xvfb jemalloc mimalloc tcmalloc)
set(nebula_demo_if_tracking ${NEBULA_MEMORY_TRACKING})
set(nebula_demo_if_go ${NEBULA_GO})
set(nebula_demo_if_preload OFF)
if(NOT BUILD_SHARED_LIBS AND
   NOT "${CMAKE_CXX_FLAGS} ${CMAKE_C_FLAGS}" MATCHES "-fsanitize=[^ ]*(address|thread|memory)")
  set(nebula_demo_if_preload ON)
endif()
set(nebula_demo_if_dev_full OFF)
if(EXISTS /dev/full)
  set(nebula_demo_if_dev_full ON)
endif()
set(nebula_demo_if_xvfb ${XVFB_RUN})
foreach(allocator jemalloc mimalloc tcmalloc)
  set(nebula_demo_if_${allocator} ${nebula_demo_${allocator}})
endforeach()

function(nebula_demo_tests)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "TABLE;PREFIX;FIXTURES_SETUP" "LABELS")
  if(NOT arg_LABELS)
    set(arg_LABELS demo)
  endif()
  set(table ${arg_TABLE})
  set(definitions
    -DTABLE=${table}
    -DPROGRAM=$<TARGET_FILE:nebula-demo>
    -DDATA=${nebula_demo_tests_dir}/data
    -DBINARY_DIR=${CMAKE_CURRENT_BINARY_DIR}
    -DSOURCE_DIR=${nebula_demo_tests_dir}
    "-DSUBSYSTEMS=Audio Chunks Entities Meshes Physics Textures"
    -DPYTHON=${Python3_EXECUTABLE}
    -DGO=${NEBULA_GO}
    -DCMAKE=${CMAKE_COMMAND}
    -DPNG_CHECK=$<TARGET_FILE:nebula_demo_png_check>
    -DXVFB_RUN=${XVFB_RUN}
    -DJEMALLOC=${nebula_demo_jemalloc}
    -DMIMALLOC=${nebula_demo_mimalloc}
    -DTCMALLOC=${nebula_demo_tcmalloc})
  foreach(condition IN LISTS nebula_demo_conditions)
    if(nebula_demo_if_${condition})
      list(APPEND definitions -DIF_${condition}=ON)
    else()
      list(APPEND definitions -DIF_${condition}=OFF)
    endif()
  endforeach()
  file(STRINGS ${table} headers REGEX "^\\[")
  foreach(header IN LISTS headers)
    if(NOT header MATCHES "^\\[([a-z_]+)\\]( +([a-z_]+)[?])? *$")
      message(FATAL_ERROR "${table}: cannot read the test header '${header}'")
    endif()
    set(name ${CMAKE_MATCH_1})
    if(CMAKE_MATCH_3 AND NOT nebula_demo_if_${CMAKE_MATCH_3})
      continue()
    endif()
    add_test(NAME ${arg_PREFIX}${name}
             COMMAND ${CMAKE_COMMAND} ${definitions} -DTEST=${name}
                     -P ${nebula_demo_tests_dir}/run_demo.cmake)
    set_tests_properties(${arg_PREFIX}${name} PROPERTIES TIMEOUT 300 LABELS "${arg_LABELS}"
      SKIP_REGULAR_EXPRESSION "nebula-demo test skipped: ")
    if(arg_FIXTURES_SETUP)
      set_tests_properties(${arg_PREFIX}${name} PROPERTIES FIXTURES_SETUP ${arg_FIXTURES_SETUP})
    endif()
  endforeach()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${table})
endfunction()
