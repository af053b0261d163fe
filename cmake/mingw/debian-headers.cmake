# Debian's header-only libraries for a Windows build: exposes /usr/include/<entry> for each entry
# through a directory of links that holds nothing else, so that no Linux header (glibc's, or
# another library's) can shadow or stand in for one of the MinGW runtime's. Sets <out> to that
# directory.
function(nebula_debian_headers out package)
  set(directory ${CMAKE_BINARY_DIR}/debian-headers)
  foreach(entry IN LISTS ARGN)
    if(NOT EXISTS /usr/include/${entry})
      message(FATAL_ERROR "/usr/include/${entry} is missing: install Debian's ${package} "
                          "(scripts/setup.sh)")
    endif()
    if(NOT EXISTS ${directory}/${entry})
      file(MAKE_DIRECTORY ${directory})
      file(CREATE_LINK /usr/include/${entry} ${directory}/${entry} SYMBOLIC)
    endif()
  endforeach()
  set(${out} ${directory} PARENT_SCOPE)
endfunction()
