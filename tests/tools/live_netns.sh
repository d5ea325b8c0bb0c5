# shellcheck shell=bash
# live_netns.sh — sourced by the live capture tests (tests/scripts/test_live*.sh).
#
# Two network namespaces joined by a veth pair, named uniquely per run and removed on exit:
#   $NS_A with $VETH_A = $ADDR_A (10.X.Y.1/24), $NS_B with $VETH_B = $ADDR_B (10.X.Y.2/24).
# IPv6 is off in both so no neighbour discovery or router solicitation reaches a capture; the
# only traffic on the pair is what a test sends.  Needs root (CAP_NET_ADMIN to create
# namespaces, CAP_NET_RAW to capture: an unprivileged user namespace gives neither in the
# initial namespace) and iproute2; a test that lacks either exits 77 (skipped) saying why.
#
# Functions: live_require (root, ip netns, the binary), live_netns_up, live_cleanup (trap),
# live_wait_listening ERRFILE (mtadiag's "listening on" line), live_child PID (the process a
# `timeout` runs), live_bg (remembers a background PID to kill on exit).

LIVE_PIDS=()
LIVE_NS=()
LIVE_TMP=

live_skip() {
	echo "SKIP: $*"
	exit 77
}

live_require() {
	[ "$(id -u)" = 0 ] || live_skip "live capture tests need root (network namespaces and CAP_NET_RAW)"
	command -v ip >/dev/null || live_skip "ip (iproute2) missing"
	[ -x "${MTADIAG:-}" ] || live_skip "MTADIAG not set or not built"
	local probe="mtaprobe$$"
	ip netns add "$probe" 2>/dev/null || live_skip "cannot create a network namespace (ip netns add)"
	ip netns del "$probe"
}

live_cleanup() {
	local p
	for p in "${LIVE_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for p in "${LIVE_NS[@]}"; do ip netns del "$p" 2>/dev/null; done
	[ -n "$LIVE_TMP" ] && rm -rf "$LIVE_TMP"
}

live_bg() {
	LIVE_PIDS+=("$1")
}

# live_netns_up: create the pair.  Interface names stay within IFNAMSIZ (15 characters).
live_netns_up() {
	local id="$$$((RANDOM % 1000))"
	NS_A="mtadiagA$id"
	NS_B="mtadiagB$id"
	VETH_A="mva$id"
	VETH_B="mvb$id"
	local net=$((RANDOM % 250 + 1))
	local sub=$((RANDOM % 250 + 1))
	ADDR_A="10.$net.$sub.1"
	ADDR_B="10.$net.$sub.2"
	ip netns add "$NS_A" || return 1
	LIVE_NS+=("$NS_A")
	ip netns add "$NS_B" || return 1
	LIVE_NS+=("$NS_B")
	local ns
	for ns in "$NS_A" "$NS_B"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1
		ip -n "$ns" link set lo up
	done
	ip link add "$VETH_A" netns "$NS_A" type veth peer name "$VETH_B" netns "$NS_B" || return 1
	# Room for the largest frames of the replayed captures (segmentation offload at capture).
	ip -n "$NS_A" link set "$VETH_A" mtu 9000 &&
		ip -n "$NS_B" link set "$VETH_B" mtu 9000 &&
		ip -n "$NS_A" addr add "$ADDR_A/24" dev "$VETH_A" &&
		ip -n "$NS_B" addr add "$ADDR_B/24" dev "$VETH_B" &&
		ip -n "$NS_A" link set "$VETH_A" up &&
		ip -n "$NS_B" link set "$VETH_B" up
}

# live_wait_listening ERRFILE [PID]: until mtadiag says it captures (10 s at most).
live_wait_listening() {
	local _
	for _ in $(seq 200); do
		grep -q "listening on" "$1" 2>/dev/null && return 0
		[ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null && break
		sleep 0.05
	done
	echo "mtadiag did not start capturing:"
	cat "$1"
	return 1
}

# live_child PID: the process started by `timeout` (PID), i.e. mtadiag itself.
live_child() {
	local c _
	for _ in $(seq 50); do
		c=$(pgrep -P "$1" | head -1)
		[ -n "$c" ] && { echo "$c"; return 0; }
		sleep 0.05
	done
	return 1
}

# live_wait_port NS PORT: until a TCP listener is up on PORT inside NS (10 s at most).
live_wait_port() {
	local _
	for _ in $(seq 200); do
		[ -n "$(ip netns exec "$1" ss -Hltn "sport = :$2" 2>/dev/null)" ] && return 0
		sleep 0.05
	done
	echo "nothing listens on port $2 in $1"
	return 1
}
