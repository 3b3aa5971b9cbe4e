#!/bin/sh
# The host tool on a raw image file: mkfs, put, ls, get (byte for byte), mkdir, quota, rm,
# dump, check clean; then a damaged data block and a damaged superblock pair: check exits
# non-zero and names the object.
set -eu
TOOL=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
img=$dir/disk.img
fail() { echo "FAIL: $*"; exit 1; }

"$TOOL" mkfs "$img" --size 2M --inodes 512 >/dev/null
[ "$(stat -c %s "$img")" -eq 2097152 ] || fail "mkfs size"
head -c 300000 /dev/urandom >"$dir/big"
printf 'hello\n' >"$dir/small"
"$TOOL" put "$img" big "$dir/big"
"$TOOL" mkdir "$img" docs
"$TOOL" put "$img" docs/hello <"$dir/small"
"$TOOL" quota "$img" docs 1000 10
"$TOOL" get "$img" big "$dir/big.out"
cmp "$dir/big" "$dir/big.out" || fail "get differs"
[ "$("$TOOL" get "$img" docs/hello)" = hello ] || fail "get small"
"$TOOL" ls "$img" -r >"$dir/ls"
grep -q '^-     300000  big$' "$dir/ls" || fail "ls: $(cat "$dir/ls")"
grep -q '^d .*docs/$' "$dir/ls" || fail "ls dir"
grep -q 'docs/hello$' "$dir/ls" || fail "ls recursive"
head -c 2000 /dev/zero >"$dir/toobig"
if "$TOOL" put "$img" docs/x "$dir/toobig" 2>"$dir/err"; then fail "quota not enforced"; fi
grep -q "byte quota" "$dir/err" || fail "quota message: $(cat "$dir/err")"
if "$TOOL" get "$img" ../big 2>"$dir/err"; then fail "dotdot accepted"; fi
grep -q "'..' component refused" "$dir/err" || fail "dotdot message"
if "$TOOL" get "$img" /big 2>"$dir/err"; then fail "absolute accepted"; fi
"$TOOL" check "$img" | grep -q clean || fail "check not clean"
"$TOOL" dump "$img" >"$dir/dump"
grep -q '^superblock 0: magic 31524f5453564e41' "$dir/dump" || fail "dump superblock"
grep -q 'file parent 1 birth 2 size 300000 height 1 blocks: 0-585@' "$dir/dump" || fail "dump inode: $(grep size.300000 "$dir/dump")"
"$TOOL" rm "$img" docs/x 2>/dev/null || true
"$TOOL" rm "$img" docs/hello
"$TOOL" rm "$img" docs
"$TOOL" ls "$img" >"$dir/ls"
[ "$(wc -l <"$dir/ls")" -eq 1 ] || fail "rm: $(cat "$dir/ls")"
"$TOOL" check "$img" >/dev/null || fail "check after rm"

# Damage one data block of big (its first block's sector, from dump).
sec=$("$TOOL" dump "$img" | sed -n 's/.*size 300000 height 1 blocks: 0-585@\([0-9]*\)-.*/\1/p')
[ -n "$sec" ] || fail "no sector for big"
printf 'X' | dd of="$img" bs=1 seek=$((sec * 512 + 100)) conv=notrunc status=none
printf 'Y' | dd of="$img" bs=1 seek=$(((sec + 9) * 512 + 7)) conv=notrunc status=none
if "$TOOL" check "$img" >"$dir/out"; then fail "check missed a damaged data block"; fi
grep -q "damage: checksum mismatch: inode 2 data block 0 (sector $sec)" "$dir/out" || fail "check message: $(cat "$dir/out")"
grep -q "damage: checksum mismatch: inode 2 data block 9 (sector $((sec + 9)))" "$dir/out" || fail "second damage: $(cat "$dir/out")"
grep -q "2 problem(s)" "$dir/out" || fail "problem count: $(cat "$dir/out")"
if "$TOOL" get "$img" big >/dev/null 2>"$dir/err"; then fail "damaged data returned"; fi
grep -q "checksum mismatch: inode 2 data block 0" "$dir/err" || fail "get message: $(cat "$dir/err")"

# Both superblocks damaged: not a store any more.
printf 'XX' | dd of="$img" bs=1 seek=20 conv=notrunc status=none
printf 'XX' | dd of="$img" bs=1 seek=532 conv=notrunc status=none
if "$TOOL" check "$img" 2>"$dir/err"; then fail "check accepted a disk without superblocks"; fi
grep -q "no valid superblock" "$dir/err" || fail "superblock message: $(cat "$dir/err")"
# A truncated image.
head -c 4096 "$img" >"$dir/short.img"
if "$TOOL" check "$dir/short.img" 2>/dev/null; then fail "tiny image accepted"; fi
# mkfs --from: a host tree preloaded, as a build makes a system's disk.
mkdir -p "$dir/tree/etc/conf.d" "$dir/tree/bin"
printf 'motd\n' >"$dir/tree/etc/motd"
printf 'k=v\n' >"$dir/tree/etc/conf.d/a"
cp "$dir/big" "$dir/tree/bin/prog"
"$TOOL" mkfs "$dir/pre.img" --size 1M --from "$dir/tree" >/dev/null
"$TOOL" get "$dir/pre.img" bin/prog | cmp - "$dir/big" || fail "preloaded file differs"
[ "$("$TOOL" get "$dir/pre.img" etc/conf.d/a)" = k=v ] || fail "preloaded nested file"
[ "$("$TOOL" ls "$dir/pre.img" -r | wc -l)" -eq 6 ] || fail "preloaded tree: $("$TOOL" ls "$dir/pre.img" -r)"
"$TOOL" check "$dir/pre.img" >/dev/null || fail "preloaded image not clean"
echo "ok: anvaya-store tool"
