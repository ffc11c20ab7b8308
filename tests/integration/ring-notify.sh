#!/bin/bash
# notify.sh on the ring transport (its idle wake-ups feed the watchdog too).
VD_TRANSPORT=ring exec bash "$(dirname "$0")/notify.sh"
