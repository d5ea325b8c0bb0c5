# install_system.cmake — install step for the files of the live-capture service: the systemd
# unit, its sysusers.d entry, the logrotate rule and the sample configuration.  Runs when
# installing (cmake --install, cpack), where CMAKE_INSTALL_PREFIX is the final prefix, so the
# unit names the mtadiag that is installed.  With the prefix /usr (the Debian package) the
# files go where Debian keeps them; with another prefix (/usr/local) the unit and sysusers.d
# entry go below it (systemd reads /usr/local/lib too), the configuration and logrotate rule
# to /etc, and an existing /etc/mtadiag/mtadiag.conf is kept.
# Set by the install(CODE) in packaging/CMakeLists.txt: MTA_PKG_SRC, MTA_PKG_TMP, MTA_BINDIR_REL,
# MTA_DOCDIR_REL.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(unitdir /lib/systemd/system)
  set(sysusersdir /usr/lib/sysusers.d)
else()
  set(unitdir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
  set(sysusersdir "${CMAKE_INSTALL_PREFIX}/lib/sysusers.d")
endif()
set(MTA_BINDIR "${CMAKE_INSTALL_PREFIX}/${MTA_BINDIR_REL}")
set(MTA_DOCDIR "${CMAKE_INSTALL_PREFIX}/${MTA_DOCDIR_REL}")
configure_file("${MTA_PKG_SRC}/systemd/mtadiag.service.in" "${MTA_PKG_TMP}/mtadiag.service" @ONLY)

set(mode PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
file(INSTALL "${MTA_PKG_TMP}/mtadiag.service" DESTINATION "${unitdir}" ${mode})
file(INSTALL "${MTA_PKG_SRC}/sysusers.d/mtadiag.conf" DESTINATION "${sysusersdir}" ${mode})
file(INSTALL "${MTA_PKG_SRC}/logrotate.d/mtadiag" DESTINATION /etc/logrotate.d ${mode})
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr" OR NOT EXISTS "$ENV{DESTDIR}/etc/mtadiag/mtadiag.conf")
  file(INSTALL "${MTA_PKG_SRC}/mtadiag.conf" DESTINATION /etc/mtadiag ${mode})
else()
  message(STATUS "Kept: $ENV{DESTDIR}/etc/mtadiag/mtadiag.conf")
endif()
