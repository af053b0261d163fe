# Cross-compiles for 64-bit Windows with Debian's MinGW-w64 GCC, POSIX threads variant (package
# g++-mingw-w64-x86-64-posix: std::thread and std::mutex over winpthreads), and runs what it
# builds (tests, GoogleTest's test discovery) under Wine. Used by the mingw preset and by
# scripts/build-gtest-mingw.sh.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(nebula_mingw_triple x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${nebula_mingw_triple}-gcc-posix)
set(CMAKE_CXX_COMPILER ${nebula_mingw_triple}-g++-posix)
set(CMAKE_RC_COMPILER ${nebula_mingw_triple}-windres)
set(CMAKE_CROSSCOMPILING_EMULATOR wine)

# Libraries, headers and packages come from the cross prefix only, never from the Linux system
# (whose .so files and glibc headers a Windows build cannot use); programs (Wine, tools) from the
# host. Prefixes given to this build (CMAKE_PREFIX_PATH: GoogleTest built by
# scripts/build-gtest-mingw.sh) are cross prefixes too.
set(CMAKE_FIND_ROOT_PATH /usr/${nebula_mingw_triple} ${CMAKE_PREFIX_PATH})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Debian's spdlog, fmt, toml++ and nlohmann/json are header-only here: the Linux package configs
# of spdlog and fmt name Linux .so files, and all of them lie outside the cross prefix, so
# find_package() gets the configs in cmake/mingw/ instead, which use those libraries' headers and
# nothing else of /usr/include.
get_filename_component(nebula_mingw_configs ${CMAKE_CURRENT_LIST_DIR}/../mingw ABSOLUTE)
foreach(nebula_mingw_package spdlog fmt tomlplusplus nlohmann_json)
  set(${nebula_mingw_package}_DIR ${nebula_mingw_configs})
endforeach()

# Static C and C++ runtimes: the tracker replaces operator new and delete in the executable, and
# Windows binds every module's operator new at link time. With libstdc++-6.dll, code inside that
# DLL (std::thread's start, locales, iostreams) would free with its own operator delete what the
# executable's tracked operator new made, and the reverse. Static, libstdc++ is part of the
# executable and uses the tracker's operators; it also needs no DLL path under Wine.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static-libgcc -static-libstdc++")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-static-libgcc -static-libstdc++")
