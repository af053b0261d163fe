# nlohmann/json for the MinGW build: Debian's headers (nlohmann-json3-dev), header-only as it is.
if(TARGET nlohmann_json::nlohmann_json)
  return()
endif()
include(${CMAKE_CURRENT_LIST_DIR}/debian-headers.cmake)
nebula_debian_headers(nebula_nlohmann_json_include nlohmann-json3-dev nlohmann)
add_library(nlohmann_json::nlohmann_json INTERFACE IMPORTED)
set_target_properties(nlohmann_json::nlohmann_json PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES ${nebula_nlohmann_json_include})
set(nlohmann_json_FOUND TRUE)
