#!/bin/bash
# The soak (make soak, tests/bench/soak.sh) for 15 s, so that make check
# runs every part of it: its checks are this test's. Its samples go to a
# directory of its own, removed afterwards.
out=$(mktemp -d "${TMPDIR:-/tmp}/verdictd-soak.XXXXXX") || exit 99
SOAK_SECONDS=${SOAK_SECONDS:-15} OUT=$out bash "$(dirname "$0")/../bench/soak.sh"
rc=$?
rm -rf "$out"
exit $rc
