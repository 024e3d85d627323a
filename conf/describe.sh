# shellcheck shell=sh
# What a FastCGI binary says of itself (--describe), for the scripts that make front ends'
# configuration from the binaries: conf/locations.sh (nginx) and conf/apache/htaccess.sh.

# path_of BIN: the URL segment BIN serves: its `--describe` "path", or the binary's name
# without .fcgi when it cannot describe itself (or jq is missing).
path_of() {
	p=
	if command -v jq >/dev/null 2>&1; then
		p=$("$1" --describe 2>/dev/null | jq -r '.path // empty' 2>/dev/null) || p=
	fi
	case $p in
	'' | *[!A-Za-z0-9_-]*) p=$(basename "$1" .fcgi) ;;
	esac
	printf '%s\n' "$p"
}
