# The version of Debian's nlohmann/json headers, for find_package(nlohmann_json <version>): the
# same major version is compatible, as nlohmann_json's own config says.
set(PACKAGE_VERSION "")
set(nebula_json_abi_macros /usr/include/nlohmann/detail/abi_macros.hpp)
if(EXISTS ${nebula_json_abi_macros})
  file(STRINGS ${nebula_json_abi_macros} nebula_json_version_lines
       REGEX "#define NLOHMANN_JSON_VERSION_(MAJOR|MINOR|PATCH) ")
  foreach(part MAJOR MINOR PATCH)
    string(REGEX REPLACE ".*NLOHMANN_JSON_VERSION_${part} ([0-9]+).*" "\\1" nebula_json_${part}
           "${nebula_json_version_lines}")
  endforeach()
  set(PACKAGE_VERSION "${nebula_json_MAJOR}.${nebula_json_MINOR}.${nebula_json_PATCH}")
endif()
if(PACKAGE_VERSION STREQUAL "" OR PACKAGE_VERSION VERSION_LESS PACKAGE_FIND_VERSION OR
   NOT nebula_json_MAJOR STREQUAL PACKAGE_FIND_VERSION_MAJOR)
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
else()
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_VERSION VERSION_EQUAL PACKAGE_FIND_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
endif()
