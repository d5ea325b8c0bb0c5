# man.cmake — build step: docs/mtadiag.1.in plus the FINDINGS section that mtadiag-catalogue
# --roff prints from include/mtadiag/findings.def gives build/man/mtadiag.1.
# cmake -DCATALOGUE=... -DIN=... -DOUT=... -DMTA_VERSION=... -DMAN_DATE=... -DMTA_PLUGIN_DIR=...
#       -DMTA_WS_ABI=... -P man.cmake
execute_process(COMMAND "${CATALOGUE}" --roff OUTPUT_VARIABLE MTA_FINDINGS RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR MTA_FINDINGS STREQUAL "")
  message(FATAL_ERROR "${CATALOGUE} --roff failed (${rc})")
endif()
string(REGEX REPLACE "\n$" "" MTA_FINDINGS "${MTA_FINDINGS}")
configure_file("${IN}" "${OUT}" @ONLY)
