# Flags that keep a known compiler bug away from ember, applied only where a check shows the bug
# with this build's own flags. Included by CMakeLists.txt after the flags are set.
#
# GCC 12 (12.2 in Debian 12) miscompiles block copies of some 32- and 64-byte integer constants
# when AVX-512F is enabled: {2, 2, 0, 0} is stored as {2, 2, 2, 2}. It is the back end's
# ix86_convert_const_wide_int_to_broadcast, which compares only the 64-bit words a CONST_WIDE_INT
# holds and not the implicit zero words above them; wide_constant_broadcast.cpp beside this file
# is the smallest program that shows it. GCC 11 (it has no such conversion), later GCC (it checks
# that the constant has a word for the whole mode) and clang compile it right.
#
# The constant only takes that form when block copies and stores may move 32 bytes or more at
# once, which AVX-512F turns on by default. -mmove-max=128 -mstore-max=128 keep them to 16 bytes
# (a 32-byte copy becomes two 16-byte ones), so no 256- or 512-bit integer constant is formed.
# Loops that the vectorizer turns into vector code are not block copies: they keep their width.
include(${CMAKE_CURRENT_LIST_DIR}/wide_constant_broadcast.cmake)
set(EMBER_WIDE_CONSTANT_WORKAROUND -mmove-max=128 -mstore-max=128)
set(EMBER_AVX512_PROBE_FLAGS "")

if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  # The flags every ember source is compiled with.
  string(TOUPPER "${CMAKE_BUILD_TYPE}" config)
  separate_arguments(global_flags UNIX_COMMAND "${CMAKE_CXX_FLAGS} ${CMAKE_CXX_FLAGS_${config}}")
  get_directory_property(directory_flags COMPILE_OPTIONS)
  set(build_flags ${global_flags} ${directory_flags})
  # Sanitizer instrumentation adds broadcasts of its own (AddressSanitizer fills shadow memory
  # with a splat of its poison byte), which the check would take for the bug, and it does not
  # change how constants are built: the check leaves it out.
  list(FILTER build_flags EXCLUDE REGEX "^-f(no-)?sanitize")
  set(work_dir ${PROJECT_BINARY_DIR}/CMakeFiles/wide_constant_broadcast)

  ember_probe_wide_constant_broadcast(verdict ${CMAKE_CXX_COMPILER} ${work_dir} ${build_flags})
  if(verdict STREQUAL "wrong" AND EMBER_COMPILER_WORKAROUNDS)
    ember_probe_wide_constant_broadcast(fixed ${CMAKE_CXX_COMPILER} ${work_dir}
                                        ${build_flags} ${EMBER_WIDE_CONSTANT_WORKAROUND})
    if(NOT fixed STREQUAL "right")
      message(FATAL_ERROR
        "GCC ${CMAKE_CXX_COMPILER_VERSION} miscompiles wide integer constants with these flags, "
        "even with ${EMBER_WIDE_CONSTANT_WORKAROUND} (${fixed}): see "
        "cmake/wide_constant_broadcast.cpp. Use another compiler, or -DEMBER_NATIVE=OFF.")
    endif()
    add_compile_options(${EMBER_WIDE_CONSTANT_WORKAROUND})
    string(REPLACE ";" " " workaround_shown "${EMBER_WIDE_CONSTANT_WORKAROUND}")
    message(STATUS "GCC ${CMAKE_CXX_COMPILER_VERSION} miscompiles wide integer constants for "
                   "this CPU: building with ${workaround_shown}")
  elseif(verdict STREQUAL "wrong")
    message(WARNING "GCC ${CMAKE_CXX_COMPILER_VERSION} miscompiles wide integer constants with "
                    "these flags, and EMBER_COMPILER_WORKAROUNDS is OFF: expect wrong results")
  elseif(NOT verdict STREQUAL "right")
    message(WARNING "the wide-constant check could not compile (${verdict})")
  endif()

  # The same check for an AVX-512 target, whatever this machine is: ctest repeats it with the
  # flags an AVX-512 build would get, so a build machine without AVX-512 tests the workaround too.
  list(REMOVE_ITEM build_flags ${EMBER_ARCH_FLAGS})
  set(EMBER_AVX512_PROBE_FLAGS ${build_flags} -march=x86-64-v4)
  ember_probe_wide_constant_broadcast(avx512 ${CMAKE_CXX_COMPILER} ${work_dir}
                                      ${EMBER_AVX512_PROBE_FLAGS})
  if(avx512 STREQUAL "wrong")
    list(APPEND EMBER_AVX512_PROBE_FLAGS ${EMBER_WIDE_CONSTANT_WORKAROUND})
  endif()
endif()
