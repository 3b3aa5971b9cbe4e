#!/usr/bin/env python3
"""Writes the structural attacks kept in regressions/: the fuzz seeds (from the build's
make_store_seeds) edited through the format of docs/store-format.md, with the harness's
re-seal bit set so the checksums are recomputed and the damage reaches the structural
checks. Run by hand when the format changes:

    make_regressions.py BUILD/tests/fuzz/store OUT_DIR"""
import os
import struct
import sys

S = 512


def u32(b, o):
    return struct.unpack_from("<I", b, o)[0]


def u64(b, o):
    return struct.unpack_from("<Q", b, o)[0]


class Image:
    def __init__(self, path):
        raw = open(path, "rb").read()
        self.img = bytearray(raw[1:])
        gens = [u64(self.img, 16), u64(self.img, S + 16)]
        self.slot = 0 if gens[0] > gens[1] else 1
        sb = self.slot * S
        self.h = u32(self.img, sb + 48)
        self.inodes = {}
        for i in range(32):
            a = u32(self.img, sb + 64 + i * 8)
            if a:
                self._itab(a, self.h - 1, i) if self.h else self._inode(i, a)

    def _itab(self, sec, level, idx):
        for j in range(64):
            a = u32(self.img, sec * S + j * 8)
            if a:
                n = idx * 64 + j
                self._itab(a, level - 1, n) if level else self._inode(n, a)

    def _inode(self, ino, sec):
        self.inodes[ino] = sec

    def root_ptr(self, ino, k):
        return self.inodes[ino] * S + 96 + k * 8

    def dir_block(self, ino):
        """Sector of a directory's first block (height 0 directories only)."""
        return u32(self.img, self.root_ptr(ino, 0))

    def entries(self, ino):
        out = {}
        nrec = u64(self.img, self.inodes[ino] * S + 32) // 64
        for r in range(nrec):
            blk = u32(self.img, self.root_ptr(ino, r // 8))
            o = blk * S + (r % 8) * 64
            e = u64(self.img, o)
            if e:
                n = self.img[o + 9]
                out[bytes(self.img[o + 10:o + 10 + n]).decode()] = (e, o)
        return out

    def save(self, path, extra=0, reseal=True):
        mode = (1 if reseal else 0) | (self.slot << 1) | 4 | extra
        with open(path, "wb") as f:
            f.write(bytes([mode]) + bytes(self.img))


def main():
    seeds, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)

    # A cycle cut off from the root: t and t/sub name each other, each once, parents
    # consistent, so only "not reachable from the root" (and the usage sums) can tell.
    im = Image(os.path.join(seeds, "tree.img"))
    t_ino, t_off = im.entries(1)["t"]
    sub_ino, _ = im.entries(t_ino)["sub"]
    im.img[t_off:t_off + 64] = bytes(64)
    blk = im.dir_block(sub_ino)
    o = blk * S + 1 * 64  # sub holds one entry (g); add t as the second
    im.img[o:o + 64] = struct.pack("<QBB", t_ino, 2, 1) + b"t" + bytes(53)
    struct.pack_into("<Q", im.img, im.inodes[sub_ino] * S + 40, 2)
    struct.pack_into("<Q", im.img, im.inodes[t_ino] * S + 16, sub_ino)
    im.save(os.path.join(out, "cycle-detached"))

    # One data sector reached twice (two files share it).
    im = Image(os.path.join(seeds, "files.img"))
    d_ino, _ = im.entries(1)["d"]
    a_ino, _ = im.entries(d_ino)["a"]
    big_ino, _ = im.entries(1)["big"]
    shared = im.img[im.root_ptr(a_ino, 0):im.root_ptr(a_ino, 0) + 8]
    o = im.root_ptr(big_ino, 1)  # big (20000 bytes) has height 0: roots are data pointers
    im.img[o:o + 8] = shared
    im.save(os.path.join(out, "shared-sector"))

    # An inode whose number disagrees with its table slot.
    im = Image(os.path.join(seeds, "files.img"))
    struct.pack_into("<Q", im.img, im.inodes[d_ino] * S + 8, 77)
    im.save(os.path.join(out, "inode-number-mismatch"))

    # A file's size cut below its block map (pointers past the end).
    im = Image(os.path.join(seeds, "files.img"))
    struct.pack_into("<Q", im.img, im.inodes[big_ino] * S + 32, 100)
    im.save(os.path.join(out, "pointer-past-size"))

    # A directory entry naming the root: a loop through the top.
    im = Image(os.path.join(seeds, "files.img"))
    _, a_off = im.entries(d_ino)["a"]
    struct.pack_into("<QB", im.img, a_off, 1, 2)
    im.save(os.path.join(out, "entry-names-root"))

    # A parent chain that loops (a directory its own parent) under writes.
    im = Image(os.path.join(seeds, "tree.img"))
    struct.pack_into("<Q", im.img, im.inodes[t_ino] * S + 16, t_ino)
    im.save(os.path.join(out, "self-parent"))

    # Subtree usage below what a removal subtracts.
    im = Image(os.path.join(seeds, "files.img"))
    struct.pack_into("<Q", im.img, im.inodes[d_ino] * S + 64, 0)
    im.save(os.path.join(out, "usage-underflow"))

    # Block-map height 3 with a size that needs it, roots garbage-free.
    im = Image(os.path.join(seeds, "sparse.img"))
    s_ino, _ = im.entries(1)["s"]
    im.img[im.inodes[s_ino] * S + 5] = 7  # height beyond 3
    im.save(os.path.join(out, "height-too-big"))

    # Data runs read through read_sum (harness bit 4) and written through write_sum (bit 3):
    # an intact image, and the same with one data byte of big flipped and not re-sealed, so
    # the sums that read_sum takes while copying must refuse that block.
    im = Image(os.path.join(seeds, "files.img"))
    im.save(os.path.join(out, "read-sum-intact"), extra=8 | 16, reseal=False)
    im = Image(os.path.join(seeds, "files.img"))
    big_ino, _ = im.entries(1)["big"]
    data = u32(im.img, im.root_ptr(big_ino, 2))
    im.img[data * S + 200] ^= 0x40
    im.save(os.path.join(out, "read-sum-flipped-data"), extra=16, reseal=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
