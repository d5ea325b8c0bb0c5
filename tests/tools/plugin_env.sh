# plugin_env.sh — sourced by the plugin tests: finds tshark and the build-tree plugins, or skips.
#
# Sets TS (an array: the tshark command that loads the plugins from $MTA_BUILD/home) and PLUGDIR.
# Wireshark ignores personal plugins when run as root, so as root tshark runs in a user namespace
# (unshare -U: uid 65534 there, file access unchanged).  Exits 77 (skipped) with a reason when
# tshark, the plugin build or the namespace is missing.
: "${MTA_SRC:?set MTA_SRC to the repository root}" "${MTA_BUILD:?set MTA_BUILD to the build directory}"
PLUGDIR=$MTA_BUILD/home/.local/lib/wireshark/plugins/4.0/epan
if ! command -v tshark >/dev/null 2>&1; then
	echo "skip: tshark is not installed"
	exit 77
fi
if [ ! -e "$PLUGDIR/smtpdiag.so" ] || [ ! -e "$PLUGDIR/osidiag.so" ]; then
	echo "skip: the plugins were not built (Wireshark development files missing?)"
	exit 77
fi
TS=(env HOME="$MTA_BUILD/home" tshark)
if [ "$(id -u)" = 0 ]; then
	if ! unshare -U true 2>/dev/null; then
		echo "skip: running as root and unshare -U is not available (tshark would ignore the plugins)"
		exit 77
	fi
	TS=(unshare -U "${TS[@]}")
fi
