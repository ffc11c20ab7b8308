#!/bin/bash
# stop_storm.sh against the ring transport (io_uring).
VD_TRANSPORT=ring exec bash "$(dirname "$0")/stop_storm.sh"
