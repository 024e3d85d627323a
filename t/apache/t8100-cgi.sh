#!/bin/bash
# The API on a shared Apache host as plain CGI (mod_cgid): configured by its .htaccess alone,
# it passes the API suite's CRUD, error, CORS and pagination tests, and the CGI cases that
# used to fail (a 415 or 413 answered without reading the body, a chunked body, the Link of
# a rewritten URL).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib-apache.sh"
apache_front cgi
front_checks cgi
done_testing
