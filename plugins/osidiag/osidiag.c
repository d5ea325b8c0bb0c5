/* osidiag.c — Wireshark 4.0 plugin: OSI session (RFC 1006) findings of mtadiag (osidiag.*) */
#define WS_BUILD_DLL
#include <wireshark.h>
#include <epan/packet.h>
#include <epan/proto.h>
#include <epan/tap.h>

#include "mtap.h"

WS_DLL_PUBLIC_DEF const gchar plugin_version[] = MTA_VERSION;
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;
WS_DLL_PUBLIC void plugin_register(void);

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

void plugin_register(void)
{
	static proto_plugin plug;
	static tap_plugin tplug;

	plug.register_protoinfo = mtap_proto_register;
	plug.register_handoff = mtap_proto_handoff;
	proto_register_plugin(&plug);
	tplug.register_tap_listener = mtap_stats_register;
	tap_register_plugin(&tplug);
}
