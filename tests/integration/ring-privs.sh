#!/bin/bash
# privs.sh on the ring transport (io_uring: its threads too).
VD_TRANSPORT=ring exec bash "$(dirname "$0")/privs.sh"
