#!/bin/bash
# editstorm.sh against the ring transport (io_uring).
VD_TRANSPORT=ring exec bash "$(dirname "$0")/editstorm.sh"
