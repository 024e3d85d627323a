#!/bin/bash
# The API on a shared Apache host under mod_fcgid: the same binaries as persistent FastCGI
# processes, configured by the .htaccess alone (the config path arrives as a request
# parameter), passing the same tests as t8100-cgi.sh.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib-apache.sh"
apache_skip_unless_installed
require_stack
read -r _ port <<<"$(apache_ports)"
trap apache_down EXIT
apache_up fcgid "$port"
. "$(dirname "$0")/lib-front-checks.sh"
front_checks fcgid
done_testing
