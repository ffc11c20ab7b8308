#!/bin/bash
# The soak (make soak, tests/bench/soak.sh) for 15 s, so that make check
# runs every part of it: its checks are this test's.
SOAK_SECONDS=${SOAK_SECONDS:-15} OUT=$PWD/soak-smoke exec bash "$(dirname "$0")/../bench/soak.sh"
