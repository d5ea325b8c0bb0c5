/* mtap_stats.c — the plugin's stats tree (tshark -z <filter>,tree; GUI Statistics menu).
 *
 * Fed by the plugin's tap, which carries the frame's stored findings and summaries, so the tree
 * counts exactly what the expert infos show on the pass it runs on.
 */
#define WS_BUILD_DLL
#include <wireshark.h>
#include <epan/packet.h>
#include <epan/tap.h>
#include <epan/stats_tree.h>

#include "mtap.h"

#include <string.h>

static int st_by_sev = -1, st_by_code = -1, st_conns = -1, st_spdus = -1;
static const char st_str_by_sev[] = "Findings by severity";
static const char st_str_by_code[] = "Findings by code";
static const char st_str_conns[] = "Connections summarised";
static const char st_str_spdus[] = "Session SPDUs";

static void mtap_stats_init(stats_tree *st)
{
	st_by_sev = stats_tree_create_node(st, st_str_by_sev, 0, STAT_DT_INT, TRUE);
	/* fixed order of the severities, worst first */
	for (int s = MTA_SEV_ERROR; s >= MTA_SEV_CHAT; s--)
		stats_tree_create_node(st, mta_severity_str((enum mta_severity)s), st_by_sev,
		                       STAT_DT_INT, TRUE);
	st_by_code = stats_tree_create_node(st, st_str_by_code, 0, STAT_DT_INT, TRUE);
	st_conns = stats_tree_create_node(st, st_str_conns, 0, STAT_DT_INT, FALSE);
	if (mtap_desc.proto == MTA_PROTO_OSI)
		st_spdus = stats_tree_create_node(st, st_str_spdus, 0, STAT_DT_INT, TRUE);
}

/* Count each SPDU of a session TSDU event ("GT+MIP(3)", markers after a space) by name. */
static void mtap_stats_tsdu(stats_tree *st, const char *label)
{
	char name[32];
	int64_t sn;
	const char *p = label;
	while (mtap_next_spdu(&p, name, sizeof name, &sn)) {
		tick_stat_node(st, st_str_spdus, 0, TRUE);
		tick_stat_node(st, name, st_spdus, FALSE);
	}
}

static tap_packet_status mtap_stats_packet(stats_tree *st, packet_info *pinfo _U_,
                                           epan_dissect_t *edt _U_, const void *p,
                                           tap_flags_t flags _U_)
{
	const struct mtap_frame *fr = (const struct mtap_frame *)p;
	for (const struct mtap_item *it = fr->items; it; it = it->next) {
		const char *code = mta_finding_code_str(it->code);
		tick_stat_node(st, st_str_by_sev, 0, TRUE);
		int sev = tick_stat_node(st, mta_severity_str(it->severity), st_by_sev, TRUE);
		tick_stat_node(st, code, sev, FALSE);
		tick_stat_node(st, st_str_by_code, 0, TRUE);
		tick_stat_node(st, code, st_by_code, FALSE);
	}
	for (const struct mtap_summary *sm = fr->summaries; sm; sm = sm->next)
		tick_stat_node(st, st_str_conns, 0, FALSE);
	for (const struct mtap_ev *e = fr->evs; e; e = e->next)
		if (e->kind == MTA_EV_OSI_SPDU && e->label)
			mtap_stats_tsdu(st, e->label);
	return TAP_PACKET_REDRAW;
}

void mtap_stats_register(void)
{
	stats_tree_register_plugin(mtap_desc.filter, mtap_desc.filter, mtap_desc.stats_name, 0,
	                           mtap_stats_packet, mtap_stats_init, NULL);
}
