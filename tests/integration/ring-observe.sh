#!/bin/bash
# observe.sh on the ring transport.
VD_TRANSPORT=ring exec bash "$(dirname "$0")/observe.sh"
