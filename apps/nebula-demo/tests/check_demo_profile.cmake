# Reads the heap profile a demo run wrote at exit (NEBULA_HEAP_PROFILE) with `go tool pprof`:
# the Meshes memory of the leak scenario must come from the mesher, by name, with no binary. (By
# exit the world is gone and its memory freed: the mesher shows in what was allocated.)
#   cmake -DPPROF_FILE=heap.pb.gz -DGO=/usr/bin/go -P check_demo_profile.cmake
cmake_minimum_required(VERSION 3.25)
include(${CMAKE_CURRENT_LIST_DIR}/../../../cmake/go-pprof.cmake)

# Every tag as a label, Meshes among them.
pprof(tags -tags -sample_index=alloc_space)
expect("${tags}" "tag: Total [0-9.]+[kMG]?B.*[0-9.]+[kMG]?B [(] *[0-9.]+%[)]: Meshes")
# Within Meshes, the mesher allocated megabytes (-top's flat, flat%, sum%, then cumulative bytes;
# flat is the standard library's allocate, which the mesher's vectors call).
pprof(meshes -top -sample_index=alloc_space -tagfocus=tag=Meshes)
expect("${meshes}"
       "\n +[0-9.]+[kMG]?B? +[0-9.]+% +[0-9.]+% +[0-9.]+MB +[0-9.]+% +nebula::demo::build_chunk_mesh\n")
# And the default sample type, what is in use at exit, is readable too.
pprof(inuse -top)
expect("${inuse}" "Type: inuse_space")
