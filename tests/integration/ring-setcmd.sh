#!/bin/bash
# setcmd.sh against the ring transport (io_uring).
VD_TRANSPORT=ring exec bash "$(dirname "$0")/setcmd.sh"
