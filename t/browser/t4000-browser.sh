#!/bin/bash
# Browser tests: www/fieldsync.js and the demo page in Debian's chromium (playwright-core), against
# the running stack. run.mjs prints the TAP itself, one test point per behaviour; this wrapper only
# checks that what it needs is there and passes the TAP through.
. "$(dirname "$0")/../lib/tap.sh"
require_stack

HERE=$FIELDSYNC_TOP/t/browser
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

[ -x "$CHROMIUM" ] ||
	bail_out "no chromium at $CHROMIUM: install Debian's chromium (apt-get install chromium)"
command -v node >/dev/null ||
	bail_out "no node: install Node.js to run the browser tests"
[ -f "$HERE/node_modules/playwright-core/package.json" ] ||
	bail_out "t/browser/node_modules is missing: run (cd t/browser && npm ci)"
command -v psql >/dev/null ||
	bail_out "no psql: the browser tests check the database with it"

export FIELDSYNC_URL DATABASE_URL CHROMIUM
exec node "$HERE/run.mjs"
