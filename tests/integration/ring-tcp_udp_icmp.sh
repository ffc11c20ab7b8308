#!/bin/bash
# tcp_udp_icmp.sh against the ring transport (io_uring).
VD_TRANSPORT=ring exec bash "$(dirname "$0")/tcp_udp_icmp.sh"
