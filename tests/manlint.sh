#!/bin/sh
# Lints every man page with mandoc at warning level: a finding fails. And
# every counter verdictd logs (src/stats.c's format) is explained in
# verdictd(8).
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
if ! command -v mandoc >/dev/null 2>&1; then
	# In CI a missing tool is a broken setup (contrib/deps.sh installs it).
	if [ -n "${CI:-}" ]; then
		echo "ERROR: mandoc is not installed (contrib/deps.sh)"
		exit 99
	fi
	echo "SKIP: manlint needs mandoc (contrib/deps.sh)"
	exit 77
fi
passed=0 failed=0
for page in "$srcdir"/doc/*.[1-8]; do
	if out=$(mandoc -T lint -W warning "$page" 2>&1) && [ -z "$out" ]; then
		passed=$((passed + 1))
		echo "ok - $(basename "$page")"
	else
		failed=$((failed + 1))
		echo "not ok - $(basename "$page")"
		echo "$out" | sed 's/^/#   /'
	fi
done
# "packets %lu accept %lu ... | kernel: waiting %u ...": the names before
# each number, less the queue number.
for name in $(sed -n '/^void stats_format/,/^}/p' "$srcdir/src/stats.c" | grep -o '[a-z][a-z-]* %l\{0,1\}u' | cut -d' ' -f1 | grep -v '^queue$'); do
	roff=$(printf '%s' "$name" | sed 's/-/\\-/g')
	if grep -E '^\.BR? ' "$srcdir/doc/verdictd.8" | grep -q -w -F -- "$roff"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "not ok - counter '$name' (src/stats.c) is not explained in verdictd(8)"
	fi
done
echo "# manlint: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
