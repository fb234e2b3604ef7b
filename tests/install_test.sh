#!/usr/bin/env bash
# `make install PREFIX=…` as a user would run it, then the installed binary
# from another directory: it must read the catalog it installed (never the
# source tree it was built from), keep working when the prefix is moved,
# obey SUANLI_SHARE_DIR, and fail clearly when that folder holds no data.
# Usage: tests/install_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$work/prefix" >/dev/null
for f in bin/suanli share/suanli/data/accelerators share/suanli/data/validation \
         share/suanli/examples/hybrid-cloud-2026.toml share/suanli/docs/catalog-format.md share/suanli/README.md; do
  [ -e "$work/prefix/$f" ] || fail "install did not write $f"
done
echo "installed into $work/prefix: bin/suanli and share/suanli/{data,examples,docs,README.md}"

check_reads() {  # PREFIX: --version names PREFIX's catalog, and a comparison runs
  local prefix=$1 version
  version=$(cd / && env -u SUANLI_SHARE_DIR -u SUANLI_CATALOG "$prefix/bin/suanli" --version)
  echo "$version"
  grep -q "in $prefix/share/suanli/data" <<<"$version" || fail "--version does not name $prefix/share/suanli/data"
  (cd / && env -u SUANLI_SHARE_DIR -u SUANLI_CATALOG "$prefix/bin/suanli" compare train --model llama3-8b \
     --devices 8 --accels h100-sxm,ascend-910b --json) >"$work/compare.json" || fail "compare failed from $prefix"
  python3 - "$work/compare.json" <<'P' || fail "compare --json from $prefix lacks the two chips"
import json, sys
d = json.load(open(sys.argv[1]))
ids = {r["accelerator"] for r in d["rows"]}
assert {"h100-sxm", "ascend-910b"} <= ids, ids
print("compare from the installed binary:", ", ".join(sorted(ids)))
P
}

check_reads "$work/prefix"
mv "$work/prefix" "$work/moved"
echo "prefix moved to $work/moved"
check_reads "$work/moved"

# The override: a copy of the share folder elsewhere is what the binary reads.
cp -r "$work/moved/share/suanli" "$work/elsewhere"
(cd / && SUANLI_SHARE_DIR="$work/elsewhere" "$work/moved/bin/suanli" --version) | grep -q "in $work/elsewhere/data" ||
  fail "SUANLI_SHARE_DIR is not obeyed"
echo "SUANLI_SHARE_DIR=$work/elsewhere obeyed"

# A share folder without data: an error naming the missing folder.
mkdir "$work/empty"
set +e
msg=$(cd / && SUANLI_SHARE_DIR="$work/empty" "$work/moved/bin/suanli" catalog accelerators 2>&1)
rc=$?
set -e
[ "$rc" != 0 ] || fail "an empty SUANLI_SHARE_DIR exits 0 ($msg)"
grep -q "$work/empty/data" <<<"$msg" || fail "the error does not name the missing folder: $msg"
echo "empty SUANLI_SHARE_DIR: exit $rc, \"$msg\""
echo "install test passed"
