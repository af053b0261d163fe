# Reads the heap profile of write_test_profile.cpp back with `go tool pprof`, the reader the file
# is for, written by others than the encoder's author.
#   cmake -DPPROF_FILE=heap.pb.gz -DGO=/usr/bin/go [-DWRITER=write_test_profile] -P check_pprof.cmake
# With WRITER, the profile is written first (one CTest test, no fixture needed).
cmake_minimum_required(VERSION 3.25)

include(${CMAKE_CURRENT_LIST_DIR}/../../../cmake/go-pprof.cmake)

if(DEFINED WRITER)
  execute_process(COMMAND "${WRITER}" "${PPROF_FILE}" RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${WRITER} ${PPROF_FILE}: ${result}")
  endif()
endif()

# `-top` rows: flat flat% sum% cum cum% name. The sites of write_test_profile.cpp:
# leak_meshes <- build_mesh <- main (Meshes, 3 MiB live, 6 MiB allocated),
# load_texture <- load_assets <- main (Textures, 1 MiB live, 2 MiB allocated),
# play_sound <- audio_thread (Audio, nothing live, 512 KiB allocated).
pprof(inuse -top -sample_index=inuse_space)
expect("${inuse}" "Type: inuse_space")
expect("${inuse}" "3MB +75\\.00% +75\\.00% +3MB +75\\.00% +leak_meshes")
expect("${inuse}" "1MB +25\\.00% +100% +1MB +25\\.00% +load_texture")
expect("${inuse}" "0 +0% +100% +3MB +75\\.00% +build_mesh")
expect("${inuse}" "0 +0% +100% +4MB +100% +main")

pprof(alloc -top -sample_index=alloc_space)
expect("${alloc}" "Type: alloc_space")
expect("${alloc}" "6144kB +70\\.59% +70\\.59% +6144kB +70\\.59% +leak_meshes")
expect("${alloc}" "512kB +5\\.88% +100% +512kB +5\\.88% +play_sound")
expect("${alloc}" "0 +0% +100% +512kB +5\\.88% +audio_thread")

pprof(objects -top -sample_index=alloc_objects)
expect("${objects}" "Type: alloc_objects")
expect("${objects}" "8 +50\\.00% +50\\.00% +8 +50\\.00% +play_sound")
expect("${objects}" "6 +37\\.50% +87\\.50% +6 +37\\.50% +leak_meshes")

# The raw live samples behind inuse_space (5 for leak_meshes, 2 for load_texture).
pprof(samples -top -sample_index=samples)
expect("${samples}" "Type: samples")
expect("${samples}" "5 +71\\.43% +71\\.43% +5 +71\\.43% +leak_meshes")
expect("${samples}" "2 +28\\.57% +100% +2 +28\\.57% +load_texture")

# The default sample type, and the label "tag" that -tagfocus selects on.
pprof(meshes -top -tagfocus=tag=Meshes)
expect("${meshes}" "Type: inuse_space")
expect("${meshes}" "3MB +75\\.00% +75\\.00% +3MB +75\\.00% +leak_meshes")
expect_not("${meshes}" "load_texture")

pprof(tags -tags)
expect("${tags}" "tag: Total 4\\.0MB")
expect("${tags}" "3\\.0MB \\(75\\.00%\\): Meshes")
expect("${tags}" "1\\.0MB \\(25\\.00%\\): Textures")

# Each tag's exact totals, as comments that pprof prints (and keeps the profile readable).
pprof(comments -comments)
expect("${comments}" "nebula-debug tag in use: 3149824 bytes in 4 blocks: Meshes")
expect("${comments}" "nebula-debug tag in use: 1048576 bytes in 1 blocks: Textures")
