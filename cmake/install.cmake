# Install rules and the package config that lets `find_package(nebula-debug)` find the targets
# nebula::debug and (when built) nebula::debug_imgui.
include(CMakePackageConfigHelpers)

set(nebula_config_dir ${CMAKE_INSTALL_LIBDIR}/cmake/nebula-debug)
set(nebula_installed_targets nebula_debug_allocator nebula_debug)
if(TARGET nebula_debug_imgui)
  list(APPEND nebula_installed_targets nebula_debug_imgui)
  set(NEBULA_WITH_IMGUI ON)
else()
  set(NEBULA_WITH_IMGUI OFF)
endif()

install(TARGETS ${nebula_installed_targets} EXPORT nebula-debug-targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY libs/nebula-debug/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp")
install(FILES ${PROJECT_BINARY_DIR}/libs/nebula-debug/include/nebula/debug/config.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/nebula/debug)
if(NEBULA_WITH_IMGUI)
  install(DIRECTORY libs/nebula-debug-imgui/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
          FILES_MATCHING PATTERN "*.hpp")
endif()

install(EXPORT nebula-debug-targets NAMESPACE nebula:: DESTINATION ${nebula_config_dir}
        FILE nebula-debug-targets.cmake)
configure_package_config_file(cmake/nebula-debug-config.cmake.in
  ${PROJECT_BINARY_DIR}/nebula-debug-config.cmake INSTALL_DESTINATION ${nebula_config_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/nebula-debug-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/nebula-debug-config.cmake
              ${PROJECT_BINARY_DIR}/nebula-debug-config-version.cmake
        DESTINATION ${nebula_config_dir})
