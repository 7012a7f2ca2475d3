# What `cmake --install` puts under the prefix, for find_package(ember) and pkg-config:
#   lib/libember.a, include/ember/... (the same paths as <ember/...> in the tree),
#   lib/cmake/ember/{emberConfig,emberConfigVersion,emberTargets}.cmake, lib/pkgconfig/ember.pc
include(CMakePackageConfigHelpers)

install(TARGETS ember EXPORT emberTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${PROJECT_SOURCE_DIR}/ember.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ember)
foreach(dir core tensor nn optim serialize data train)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ember
          FILES_MATCHING PATTERN "*.h")
endforeach()

set(EMBER_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/ember)
install(EXPORT emberTargets NAMESPACE ember:: DESTINATION ${EMBER_CMAKE_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/emberConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/emberConfig.cmake
                              INSTALL_DESTINATION ${EMBER_CMAKE_DIR})
# 0.x: a minor version may change the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/emberConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/emberConfig.cmake ${PROJECT_BINARY_DIR}/emberConfigVersion.cmake
        DESTINATION ${EMBER_CMAKE_DIR})

# pkg-config: the static library with what linking it needs (OpenMP's flag and zlib).
# The prefix is found from the .pc file's own place, so the package can be installed anywhere.
string(REPLACE ";" " " EMBER_PC_OPENMP_FLAGS "${OpenMP_CXX_FLAGS}")
file(RELATIVE_PATH EMBER_PC_PREFIX_FROM_PCFILEDIR /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
configure_file(${CMAKE_CURRENT_LIST_DIR}/ember.pc.in ${PROJECT_BINARY_DIR}/ember.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/ember.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
