#!/usr/bin/env bash
# Test hosts as Linux network namespaces, for the fleet tests: `scripts/netns.sh up N` makes N hosts
# vigil-h1…vigil-hN, each with one veth link to the bridge vigil-br0 in the calling namespace.
# The bridge is 198.18.0.1/24 and host K is 198.18.0.(10+K)/24: 198.18.0.0/15 is reserved for
# network testing (RFC 2544), so these addresses exist only on this machine. `scripts/netns.sh down`
# removes every namespace and link it made. Needs root and iproute2.
set -euo pipefail
bridge=vigil-br0
prefix=198.18.0

down() {
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^vigil-h' || true); do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
        ip netns del "$ns" 2>/dev/null || true
    done
    for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep '^vigil-v' || true); do
        ip link del "$link" 2>/dev/null || true
    done
    ip link del "$bridge" 2>/dev/null || true
}

up() {
    local count=$1
    down
    ip link add "$bridge" type bridge
    ip addr add "$prefix.1/24" dev "$bridge"
    ip link set "$bridge" up
    for k in $(seq 1 "$count"); do
        local ns=vigil-h$k
        ip netns add "$ns"
        ip link add "vigil-v$k" type veth peer name eth0 netns "$ns"
        ip link set "vigil-v$k" master "$bridge" up
        ip -n "$ns" addr add "$prefix.$((10 + k))/24" dev eth0
        ip -n "$ns" link set eth0 up
        ip -n "$ns" link set lo up
    done
}

case "${1:-}" in
    up) up "${2:?usage: netns.sh up N}" ;;
    down) down ;;
    *) echo "usage: scripts/netns.sh up N | down" >&2; exit 2 ;;
esac
