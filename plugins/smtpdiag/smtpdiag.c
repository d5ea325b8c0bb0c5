/* smtpdiag.c — Wireshark 4.0 plugin: SMTP-over-TCP findings of the mtadiag engine (smtpdiag.*) */
#include "mtap.h"

/* What this plugin shows; everything else is in plugins/common/. */
const struct mtap_desc mtap_desc = {
    .filter = "smtpdiag",
    .name = "SMTP connection diagnostics (mtadiag)",
    .short_name = "SMTPDIAG",
    .stats_name = "mtadiag/SMTP findings",
    .proto = MTA_PROTO_SMTP,
    .ports_default = "25,587,2525",
    .ports_title = "SMTP ports",
    .peer_filter = "osidiag",
    .peer_ports_default = "102",
    .has_stall = true,
};
