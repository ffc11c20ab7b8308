#!/bin/bash
# The end-to-end TCP/UDP/ICMP test again, with the fixed rule set loaded
# through iptables-legacy instead of iptables' nftables backend.
IPTABLES=iptables-legacy IP6TABLES=ip6tables-legacy exec bash "$(dirname "$0")/tcp_udp_icmp.sh"
