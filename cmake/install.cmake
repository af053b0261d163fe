# Install rules and the package config that lets `find_package(nebula-debug)` find nebula::debug
# and, as the component imgui, nebula::debug_imgui.
#
# One prefix holds several configurations side by side (docs/architecture.md, "Installed
# packages"): the archives carry a per-configuration suffix, install(EXPORT) writes one targets
# file per configuration, and what differs between configurations goes under
# lib/nebula-debug/<config>/: config.hpp (tracking on or off) and a small file saying which
# configuration was installed and whether it tracks. The package config maps each configuration
# of the consumer onto one of them.
include(CMakePackageConfigHelpers)

set(nebula_config_dir ${CMAKE_INSTALL_LIBDIR}/cmake/nebula-debug)
set(nebula_builds_dir ${CMAKE_INSTALL_LIBDIR}/nebula-debug)

install(TARGETS nebula_debug_allocator nebula_debug EXPORT nebula-debug-targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY libs/nebula-debug/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp" PATTERN "*.h")
install(FILES ${PROJECT_BINARY_DIR}/libs/nebula-debug/include/nebula/debug/config.hpp
        DESTINATION ${nebula_builds_dir}/$<CONFIG>/include/nebula/debug)
file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/nebula-debug-build-$<CONFIG>.cmake CONTENT
"# nebula-debug installed for one configuration: read by nebula-debug-config.cmake.
list(APPEND _nebula_debug_builds \"$<CONFIG>\")
set(_nebula_debug_build_tracking_$<CONFIG> ${NEBULA_MEMORY_TRACKING_VALUE})
")
install(FILES ${PROJECT_BINARY_DIR}/nebula-debug-build-$<CONFIG>.cmake
        DESTINATION ${nebula_config_dir})

# The panel is installed as sources: the consumer compiles it against its own Dear ImGui (one
# imgui.h, one imconfig.h, one ABI), or against Debian's.
if(TARGET nebula_debug_imgui)
  install(DIRECTORY libs/nebula-debug-imgui/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
          FILES_MATCHING PATTERN "*.hpp")
  install(DIRECTORY libs/nebula-debug-imgui/src/
          DESTINATION ${CMAKE_INSTALL_DATADIR}/nebula-debug/imgui)
endif()

# The HTTP endpoint, as the component server: a targets file of its own, read only when the
# component is asked for, so that a consumer without cpp-httplib can still use the rest.
if(TARGET nebula_debug_server)
  install(TARGETS nebula_debug_server EXPORT nebula-debug-server-targets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
          INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(DIRECTORY libs/nebula-debug-server/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
          FILES_MATCHING PATTERN "*.hpp")
  install(EXPORT nebula-debug-server-targets NAMESPACE nebula:: DESTINATION ${nebula_config_dir}
          FILE nebula-debug-server-targets.cmake)
endif()

# The report tool (Python 3; plot needs matplotlib).
install(PROGRAMS tools/nebula-memreport DESTINATION ${CMAKE_INSTALL_BINDIR})

set(nebula_imgui_sources_dir ${CMAKE_INSTALL_DATADIR}/nebula-debug/imgui)
install(EXPORT nebula-debug-targets NAMESPACE nebula:: DESTINATION ${nebula_config_dir}
        FILE nebula-debug-targets.cmake)
configure_package_config_file(cmake/nebula-debug-config.cmake.in
  ${PROJECT_BINARY_DIR}/nebula-debug-config.cmake INSTALL_DESTINATION ${nebula_config_dir}
  PATH_VARS nebula_builds_dir nebula_imgui_sources_dir)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/nebula-debug-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/nebula-debug-config.cmake
              ${PROJECT_BINARY_DIR}/nebula-debug-config-version.cmake
        DESTINATION ${nebula_config_dir})
