#!/bin/sh
# install-config.sh: make install's and make uninstall's handling of fieldsync.conf.
#
#   install-config.sh install SHIPPED DIR GROUP INSTALL_DATA MKDIR_P
#   install-config.sh uninstall SHIPPED DIR
#
# install: DIR/fieldsync.conf when there is none; when there is one (an admin's, maybe
# edited), SHIPPED goes beside it as DIR/fieldsync.conf.dist and the config is left alone.
# Either is mode 0640 and of GROUP (the service group, so the workers can read it and
# nobody else can: it may hold the database password); a GROUP that does not exist, or
# that this user may not give, is said and skipped: the file keeps the installer's group.
# uninstall: DIR/fieldsync.conf goes only while it is byte-identical to SHIPPED (an edited
# config stays); DIR/fieldsync.conf.dist always goes.
set -u

action=$1 shipped=$2 dir=$3
conf=$dir/fieldsync.conf

case $action in
install)
	group=$4 install_data=$5 mkdir_p=$6
	$mkdir_p "$dir" || exit 1
	if [ -e "$conf" ]; then
		target=$conf.dist
		echo "$conf is there already: left as it is; the shipped config is $target" \
			"(compare the two and merge by hand)"
	else
		target=$conf
	fi
	$install_data -m 0640 "$shipped" "$target" || exit 1
	if [ -z "$group" ]; then
		echo "$target keeps its group (configured --without-group)"
	elif ! getent group "$group" >/dev/null 2>&1; then
		echo "group $group does not exist: $target keeps its group;" \
			"create the group, then: chgrp $group $target"
	elif ! chgrp "$group" "$target" 2>/dev/null; then
		echo "cannot give $target to group $group (not root?): it keeps its group;" \
			"as root: chgrp $group $target"
	fi
	;;
uninstall)
	rm -f "$conf.dist"
	if [ -e "$conf" ]; then
		if cmp -s "$shipped" "$conf"; then
			rm -f "$conf"
		else
			echo "$conf was edited: left in place"
		fi
	fi
	;;
*)
	echo "usage: $0 install SHIPPED DIR GROUP INSTALL_DATA MKDIR_P | uninstall SHIPPED DIR" >&2
	exit 2
	;;
esac
