#!/bin/bash
# control.sh on the ring transport.
VD_TRANSPORT=ring exec bash "$(dirname "$0")/control.sh"
