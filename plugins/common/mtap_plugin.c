/* mtap_plugin.c — the symbols Wireshark's plugin loader looks up, the same for both plugins: the
 * version they were built for and the registration of their protocol and stats-tree tap (what
 * tells the two apart is the plugin's own mtap_desc). */
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
