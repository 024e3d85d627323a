#!/bin/bash
# The libFuzzer targets of the parsers of untrusted bytes (t/fuzz/, make fuzz) build and
# run FUZZ_SECONDS each (default 10 here) from their seed corpus without a crash, a leak,
# a sanitizer report or a broken invariant; the executions run are reported as comments.
. "$(dirname "$0")/../lib/tap.sh"

top=$FIELDSYNC_TOP
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# libFuzzer comes with clang's runtime (Debian: clang, libclang-rt-14-dev).
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return d && n; }\n' >"$out/probe.c"
if ! command -v clang >/dev/null; then
	skip_all "no clang: libFuzzer targets need it (apt-get install clang libclang-rt-14-dev)"
fi
if ! clang -fsanitize=fuzzer,address,undefined -o "$out/probe" "$out/probe.c" 2>"$out/probe.err"; then
	skip_all "clang has no libFuzzer runtime (apt-get install libclang-rt-14-dev)"
fi

# The stack builds in its source tree: the targets are made there, as make fuzz does.
make -s -C "$top" fuzz-build >"$out/build.log" 2>&1
if ! ok $? "the fuzz targets build"; then
	sed 's/^/# /' "$out/build.log" | tail -n 30
	done_testing
	exit
fi

export FUZZ_SECONDS=${FUZZ_SECONDS:-10} FUZZ_ARTIFACTS=${FUZZ_ARTIFACTS:-$top/var/fuzz}
for target in "$top"/t/fuzz/fuzz-body "$top"/t/fuzz/fuzz-query "$top"/t/fuzz/fuzz-headers \
	"$top"/t/fuzz/fuzz-relay; do
	name=$(basename "$target")
	bash "$top/t/fuzz/run.sh" "$top/t/fuzz/corpus" "$target" >"$out/$name.out" 2>&1
	rc=$?
	sed 's/^/# /' "$out/$name.out"
	ok $rc "$name runs $FUZZ_SECONDS s without a finding"
done
done_testing
