# fmt for the MinGW build: Debian's headers (libfmt-dev) in fmt's header-only mode.
if(TARGET fmt::fmt)
  return()
endif()
include(${CMAKE_CURRENT_LIST_DIR}/debian-headers.cmake)
nebula_debian_headers(nebula_fmt_include libfmt-dev fmt)
add_library(fmt::fmt INTERFACE IMPORTED)
set_target_properties(fmt::fmt PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES ${nebula_fmt_include}
  INTERFACE_COMPILE_DEFINITIONS FMT_HEADER_ONLY=1)
set(fmt_FOUND TRUE)
