# GCC 12's wrong code for wide integer constants under AVX-512F (wide_constant_broadcast.cpp
# beside this file says what the bug is), found by compiling that program and reading the code.
#
# The check reads the generated code rather than running it, so that it works on a machine
# without AVX-512 and when building for another machine. The constants in the program are not
# splats, so no correct code loads them with an unmasked broadcast; GCC 12.2 does.
#
# Included by CMakeLists.txt, it defines ember_probe_wide_constant_broadcast(). Run as a script
#   cmake -DCXX=g++ "-DFLAGS=-O3 -march=x86-64-v4 ..." -DWORK_DIR=dir \
#         -P wide_constant_broadcast.cmake
# it checks that those flags compile the program right and fails otherwise (ctest runs it).

set(EMBER_WIDE_CONSTANT_SOURCE ${CMAKE_CURRENT_LIST_DIR}/wide_constant_broadcast.cpp)

# Sets result to "right" or "wrong" (an unmasked broadcast in one of the copy_ functions), or to
# "unknown: <why>" when the compiler rejects the flags.
function(ember_probe_wide_constant_broadcast result cxx work_dir)
  set(asm ${work_dir}/wide_constant_broadcast.s)
  file(MAKE_DIRECTORY ${work_dir})
  execute_process(COMMAND ${cxx} ${ARGN} -std=c++17 -S -o ${asm} ${EMBER_WIDE_CONSTANT_SOURCE}
                  RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_QUIET)
  if(NOT rc EQUAL 0)
    string(STRIP "${err}" err)
    set(${result} "unknown: ${err}" PARENT_SCOPE)
    return()
  endif()
  file(STRINGS ${asm} lines)
  set(verdict right)
  set(in_copy FALSE)
  foreach(line IN LISTS lines)
    if(line MATCHES "^copy_[0-9]+:")
      set(in_copy TRUE)
    elseif(line MATCHES "\\.cfi_endproc")
      set(in_copy FALSE)
    elseif(in_copy AND line MATCHES "broadcast" AND NOT line MATCHES "{%k")
      set(verdict wrong)
    endif()
  endforeach()
  set(${result} ${verdict} PARENT_SCOPE)
endfunction()

if(CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  if(NOT DEFINED WORK_DIR)
    set(WORK_DIR ${CMAKE_CURRENT_BINARY_DIR})
  endif()
  separate_arguments(flags UNIX_COMMAND "${FLAGS}")
  ember_probe_wide_constant_broadcast(verdict ${CXX} ${WORK_DIR} ${flags})
  if(NOT verdict STREQUAL "right")
    message(FATAL_ERROR "${CXX} ${FLAGS}: wide integer constants compile ${verdict} (see "
                        "${EMBER_WIDE_CONSTANT_SOURCE} and ${WORK_DIR}/wide_constant_broadcast.s)")
  endif()
  message(STATUS "${CXX} ${FLAGS}: wide integer constants compile right")
endif()
