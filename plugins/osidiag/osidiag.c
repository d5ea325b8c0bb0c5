/* osidiag.c — Wireshark 4.0 plugin: OSI session (RFC 1006) findings of mtadiag (osidiag.*) */
#include "mtap.h"

/* What this plugin shows; everything else is in plugins/common/. */
const struct mtap_desc mtap_desc = {
    .filter = "osidiag",
    .name = "OSI session diagnostics (mtadiag)",
    .short_name = "OSIDIAG",
    .stats_name = "mtadiag/OSI findings",
    .proto = MTA_PROTO_OSI,
    .ports_default = "102",
    .ports_title = "OSI (RFC 1006) ports",
    .peer_filter = "smtpdiag",
    .peer_ports_default = "25,587,2525",
    .has_stall = false,
};
