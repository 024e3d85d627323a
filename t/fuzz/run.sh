#!/bin/bash
# run.sh CORPUS TARGET...: runs each libFuzzer TARGET for FUZZ_SECONDS (default 60) on a
# copy of its seed corpus CORPUS/<target name>/ (with the dictionary <target name>.dict
# beside CORPUS when there is one), crash files into FUZZ_ARTIFACTS (default
# var/fuzz). Prints per target one line "<name>: <executions> executions in <s> s" (or what
# it found) and exits non-zero when any target crashed, leaked or timed out.
set -u
corpus=$1
shift
seconds=${FUZZ_SECONDS:-60}
artifacts=${FUZZ_ARTIFACTS:-var/fuzz}
mkdir -p "$artifacts" || exit 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rc=0
for target in "$@"; do
	name=$(basename "$target")
	mkdir -p "$work/$name"
	cp "$corpus/$name"/* "$work/$name"/ 2>/dev/null
	dict=()
	[ -f "$(dirname "$corpus")/$name.dict" ] && dict=(-dict="$(dirname "$corpus")/$name.dict")
	# -timeout: one input taking seconds is a finding too; -rss_limit_mb bounds memory.
	"$target" "${dict[@]}" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$artifacts/$name-" "$work/$name" >"$work/$name.log" 2>&1
	status=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name.log" | tail -n 1)
	if [ "$status" -eq 0 ]; then
		echo "$name: ${execs:-?} executions in $seconds s, corpus $(find "$work/$name" -type f | wc -l) inputs"
	else
		rc=1
		echo "$name: FAILED (exit $status) after ${execs:-?} executions; artifacts in $artifacts:"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*invariant broken|artifact_prefix|Test unit written)' \
			"$work/$name.log" | head -n 20 | sed 's/^/    /'
		# The first stack, without libFuzzer's and libc's own frames.
		awk '/^ *#0 /{on=1} on&&/^$/{exit} on' "$work/$name.log" |
			grep -v -E 'fuzzer::|__sanitizer|libc\.so|/nptl/|/stdlib/|/signal/' | head -n 8 |
			sed 's/^/    /'
	fi
done
exit "$rc"
