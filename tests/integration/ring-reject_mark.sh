#!/bin/bash
# reject_mark.sh against the ring transport (io_uring).
VD_TRANSPORT=ring exec bash "$(dirname "$0")/reject_mark.sh"
