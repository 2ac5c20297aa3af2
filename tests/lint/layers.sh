#!/bin/sh
# layers: the state modules include one another in one direction only (README, Layout):
# conn includes none of the others (it reports to its owner through struct conn_ops),
# listener and session include conn only, path and paths build on those, peer on them. A module is its
# .c and its .h together; an include loop among them, or an include against this order,
# fails with the includes that make it.
set -u
src="${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/src"

# allowed STATE modules each module may include (besides pure and I/O helpers)
allowed() {
	case "$1" in
	conn) echo "" ;;
	listener) echo "conn" ;;
	session) echo "conn" ;;
	path) echo "conn session" ;;
	paths) echo "conn session path" ;;
	peer) echo "conn session path paths" ;;
	esac
}

state="conn listener session path paths peer"
fail=0
for m in $state; do
	for f in "$src/$m.c" "$src/$m.h"; do
		[ -f "$f" ] || { echo "FAIL: layers: $f is missing"; fail=1; continue; }
		for inc in $(sed -n 's/^#include "\([a-z_]*\)\.h".*/\1/p' "$f"); do
			[ "$inc" = "$m" ] && continue
			case " $state " in *" $inc "*) ;; *) continue ;; esac
			case " $(allowed "$m") " in
			*" $inc "*) ;;
			*)
				echo "FAIL: layers: ${f#"$src"/} includes $inc.h, against the order" \
					"conn < listener, session < path < paths < peer"
				fail=1
				;;
			esac
		done
	done
done
[ "$fail" -eq 0 ] && echo "ok: conn, listener, session, path, paths, peer include downward only"
exit "$fail"
