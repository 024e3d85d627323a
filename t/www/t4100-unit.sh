#!/bin/bash
# Unit tests of the browser library's modules (www/fieldsync/*.js) and the demo page's form module,
# in Node with fakes for fetch, IndexedDB (fake-indexeddb, pinned in t/www/package-lock.json) and
# EventSource. node --test prints the TAP; this wrapper only checks that what it needs is there.
# Needs no running stack.
set -e
TOP=${FIELDSYNC_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$TOP"

if ! command -v node >/dev/null; then
	echo "1..0 # SKIP no node: install Node.js to run the browser library's unit tests"
	exit 0
fi
if [ ! -f t/www/node_modules/fake-indexeddb/package.json ]; then
	# Like ./stack test does for t/browser: the one dependency, from the lock file.
	(cd t/www && npm ci --no-audit --no-fund) >&2 ||
		{ echo "Bail out! t/www/node_modules is missing and npm ci failed"; exit 1; }
fi
exec node --test --test-reporter=tap t/www/
