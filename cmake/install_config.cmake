# install_config.cmake - install-time step (run by `cmake --install`): puts
# the example config in place as otapd.conf unless one is there already, so
# an operator's edited config survives every reinstall and upgrade.
# In: OTAP_CONF_SRC, OTAP_CONF_DIR (absolute), OTAP_PREFIX (configure time).
if(NOT CMAKE_INSTALL_PREFIX STREQUAL OTAP_PREFIX)
  # The binaries and the unit carry paths from configure time.
  message(FATAL_ERROR "otapd was configured for the prefix ${OTAP_PREFIX}, not "
    "${CMAKE_INSTALL_PREFIX}: reconfigure with -DCMAKE_INSTALL_PREFIX=${CMAKE_INSTALL_PREFIX} "
    "instead of cmake --install --prefix")
endif()
set(conf "$ENV{DESTDIR}${OTAP_CONF_DIR}/otapd.conf")
if(EXISTS "${conf}")
  message(STATUS "Keeping: ${conf}")
else()
  file(INSTALL DESTINATION "${OTAP_CONF_DIR}" TYPE FILE FILES "${OTAP_CONF_SRC}")
endif()
