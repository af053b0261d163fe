# spdlog for the MinGW build: Debian's headers (libspdlog-dev) header-only, over fmt's headers
# (Debian's spdlog is configured for an external fmt: tweakme.h).
if(TARGET spdlog::spdlog)
  return()
endif()
include(CMakeFindDependencyMacro)
find_dependency(fmt)
include(${CMAKE_CURRENT_LIST_DIR}/debian-headers.cmake)
nebula_debian_headers(nebula_spdlog_include libspdlog-dev spdlog)
add_library(spdlog::spdlog INTERFACE IMPORTED)
set_target_properties(spdlog::spdlog PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES ${nebula_spdlog_include}
  INTERFACE_COMPILE_DEFINITIONS "SPDLOG_HEADER_ONLY;SPDLOG_FMT_EXTERNAL"
  INTERFACE_LINK_LIBRARIES fmt::fmt)
set(spdlog_FOUND TRUE)
