# toml++ for the MinGW build: Debian's headers (libtomlplusplus-dev), header-only as toml++ is.
if(TARGET tomlplusplus::tomlplusplus)
  return()
endif()
include(${CMAKE_CURRENT_LIST_DIR}/debian-headers.cmake)
nebula_debian_headers(nebula_tomlplusplus_include libtomlplusplus-dev toml++)
add_library(tomlplusplus::tomlplusplus INTERFACE IMPORTED)
set_target_properties(tomlplusplus::tomlplusplus PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES ${nebula_tomlplusplus_include})
set(tomlplusplus_FOUND TRUE)
