#!/usr/bin/env bash
# e2e_layers.sh - the layers of lib/ as the code states them: every
# #include "x.h" in lib/LAYER/ names a header of LAYER or of a layer below
# it (the build enforces the same through include directories; this check
# also catches a header that would be found by accident elsewhere).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LAYERS=(base sms modem smpp store config notify rollout)   # bottom to top; notify and rollout are peers
rank() {
	case $1 in
	base) echo 0 ;; sms) echo 1 ;; modem) echo 2 ;; smpp) echo 3 ;; store) echo 4 ;;
	config) echo 5 ;; notify | rollout) echo 6 ;; *) echo 99 ;;
	esac
}
bad=0
for layer in "${LAYERS[@]}"; do
	for f in "$ROOT/lib/$layer"/*.[ch]; do
		while IFS= read -r hdr; do
			home=$(cd "$ROOT/lib" && ls -d -- */"$hdr" 2>/dev/null | head -1 | cut -d/ -f1)
			[ -n "$home" ] || continue      # generated or system header
			if [ "$home" != "$layer" ] && [ "$(rank "$home")" -ge "$(rank "$layer")" ]; then
				echo "FAIL: lib/$layer/$(basename "$f") includes $hdr from lib/$home (not below $layer)"
				bad=1
			fi
		done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
	done
done
# No SQL on the job tables outside the store.
if grep -rlE '\b(FROM|INTO|UPDATE) +(jobs|attempts|sent_parts|rollouts)\b|sqlite3_' \
	"$ROOT/lib" "$ROOT/daemon" "$ROOT/cli" | grep -v "/lib/store/"; then
	echo "FAIL: SQL or sqlite3 calls outside lib/store (files above)"
	bad=1
fi
[ "$bad" = 0 ] && echo "PASS: every include points down the layers; SQL only in lib/store"
exit "$bad"
