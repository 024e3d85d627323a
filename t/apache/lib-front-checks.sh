# shellcheck shell=bash
# The checks both Apache fronts pass (t8100-cgi.sh, t8110-fcgid.sh); source after
# lib-apache.sh, with Apache up.

# front_checks LABEL: the API tests through APACHE_URL, then the direct checks.
front_checks() {
	local label=$1 t
	for t in t2000-crud-every-resource.sh t2020-pagination.sh t2070-errors-body.sh \
		t2080-errors-request.sh t2090-cors.sh; do
		api_test_through "$t" "$label"
	done
	note "$label: the API tests: $APACHE_TOTAL_PASS passed, $APACHE_TOTAL_FAIL failed, $APACHE_TOTAL_SKIP skipped"
}
