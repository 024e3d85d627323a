#!/bin/sh
# htaccess.sh BINDIR HANDLER CONF [BASE [LIMIT]]: the .htaccess that serves the API from the document
# root (or the folder at URL path BASE, default "/") of a shared Apache host, with only what a
# customer of such a host may write: per-directory settings, no server config.
#   BINDIR   folder of the built or installed *.fcgi; each gets one rewrite rule
#            /api/<path> -> fieldsync/<name>.fcgi, <path> from its --describe as in
#            conf/locations.sh (so a new resource needs no edit here)
#   HANDLER  cgi (mod_cgi/mod_cgid: one process per request) or fcgid (mod_fcgid: the same
#            binaries as persistent FastCGI processes)
#   CONF     path of fieldsync.conf on the host (SetEnv FIELDSYNC_CONF): it holds the
#            database URL, since under mod_fcgid only request parameters come from
#            .htaccess, never the process environment (see the README)
#   BASE     URL path of the folder holding the .htaccess (default /)
#   LIMIT    bytes of a request body Apache lets through (default 2097152, above the
#            binaries' max_body of 1 MiB so that they answer it). Under mod_fcgid at most the
#            host's FcgidMaxRequestLen (server config only, 128 KiB unless raised): past it
#            mod_fcgid answers its own HTML 500. On such a host give 131072 here and
#            max_body = 131072 in fieldsync.conf.
# The binaries go to the folder "fieldsync" beside the .htaccess, the JSON error pages of
# conf/apache/errors/ to fieldsync/errors/.
set -eu

if [ $# -lt 3 ] || [ $# -gt 5 ]; then
	echo "usage: $0 BINDIR cgi|fcgid CONF [BASE [LIMIT]]" >&2
	exit 2
fi
bindir=$1 handler=$2 conf=$3 base=${4:-/} limit=${5:-2097152}
case $limit in '' | *[!0-9]*) echo "$0: LIMIT is a number of bytes, not $limit" >&2; exit 2 ;; esac
case $handler in
cgi) module=cgi-script ;;
fcgid) module=fcgid-script ;;
*) echo "$0: HANDLER is cgi or fcgid, not $handler" >&2; exit 2 ;;
esac
case $base in /*) ;; *) base=/$base ;; esac
case $base in */) ;; *) base=$base/ ;; esac
case $conf in *[!A-Za-z0-9_./-]*)
	echo "$0: CONF must be a plain path (letters, digits, _ . / -): $conf" >&2; exit 2 ;;
esac

# path_of: conf/describe.sh, as conf/locations.sh finds it.
# shellcheck source=conf/describe.sh
. "$(dirname "$0")/../describe.sh"

rules=
for bin in "$bindir"/*.fcgi; do
	[ -x "$bin" ] || continue
	rules="$rules$(printf 'RewriteRule ^api/%s$ fieldsync/%s [END]' "$(path_of "$bin")" "$(basename "$bin")")
"
done
if [ -z "$rules" ]; then
	echo "$0: no $bindir/*.fcgi (build first)" >&2
	exit 1
fi

cat <<HTACCESS
# fieldsync on a shared Apache host ($handler), written by conf/apache/htaccess.sh.
# Needs of the host: AllowOverride All (or Options FileInfo AuthConfig Limit), mod_rewrite,
# mod_headers, mod_env and mod_mime, and mod_cgid/mod_cgi or mod_fcgid.

# The binaries in fieldsync/ run as $module; nothing there is listed. (mod_rewrite needs
# FollowSymLinks in a .htaccess.)
Options +ExecCGI +FollowSymLinks -Indexes
AddHandler $module .fcgi
# Bearer tokens reach the binaries (Apache hides Authorization from CGI and FastCGI otherwise).
CGIPassAuth On
# The binaries read their config (and so the database URL) from here. Under mod_fcgid this
# arrives as a FastCGI parameter of each request, set by the server, never by the client (a
# request header would arrive as HTTP_FIELDSYNC_CONF).
SetEnv FIELDSYNC_CONF $conf

# Apache itself answers over-large bodies and unknown API paths: in the API's JSON shape.
# Above the binaries' max_body, they answer first; see LIMIT in conf/apache/htaccess.sh.
LimitRequestBody $limit
AddCharset utf-8 .json
ErrorDocument 404 ${base}fieldsync/errors/404.json
ErrorDocument 413 ${base}fieldsync/errors/413.json
<FilesMatch "\.json\$">
    Header always set Cache-Control no-store
    Header always set X-Content-Type-Options nosniff
</FilesMatch>
# An answer of the API is data, never a page: nothing may run in it or frame it.
<If "%{REQUEST_URI} =~ m#^${base}api/#">
    Header always set Content-Security-Policy "default-src 'none'; frame-ancestors 'none'"
    Header always set Referrer-Policy no-referrer
</If>

RewriteEngine On
RewriteBase $base
# A declared length over the limit is refused here, before any binary: mod_fcgid would pass
# such a request on with an empty body instead of LimitRequestBody's 413.
RewriteCond %{HTTP:Content-Length} ^[0-9]+\$
RewriteCond expr "%{HTTP:Content-Length} -gt $limit"
RewriteRule ^api/ - [R=413,L]
# The binaries answer only at their /api/ path (a direct URL would bypass these rules).
RewriteCond %{ENV:REDIRECT_STATUS} ^\$
RewriteRule ^fieldsync/(?!errors/) - [R=404,L]
# One rule per binary.
$rules# Any other path under /api/: the JSON 404.
RewriteRule ^api/ - [R=404,L]
HTACCESS
