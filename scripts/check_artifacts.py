"""Checks that every artifact in a dist folder is what its name says, by reading its ELF headers
(not trusting tags): each wheel's native module, each Node platform package's addon and each
gateway binary has the architecture (x86_64 / aarch64) and the libc (glibc / musl / static) its
name or tag names; prints a table of sizes. Exits 1 on any mismatch.

    python3 scripts/check_artifacts.py dist
"""

from __future__ import annotations

import pathlib
import re
import struct
import sys
import tarfile
import zipfile

MACHINES = {0x3E: "x86_64", 0xB7: "aarch64"}


def elf_facts(data: bytes) -> tuple[str, str]:
    """(architecture, libc) of an ELF image: `musl` or `glibc` from its program interpreter or the
    libraries it needs (DT_NEEDED: glibc's `libc.so.6`, musl's `libc.so`), `static` when it needs
    none (a static or static-pie executable)."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError("not a 64-bit little-endian ELF file")
    machine = MACHINES.get(struct.unpack_from("<H", data, 18)[0], "unknown")
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    interp, dynamic, loads = b"", None, []
    for i in range(phnum):
        p_type, _, p_offset, p_vaddr, _, p_filesz = struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize)
        if p_type == 1:  # PT_LOAD
            loads.append((p_vaddr, p_offset, p_filesz))
        elif p_type == 2:  # PT_DYNAMIC
            dynamic = (p_offset, p_filesz)
        elif p_type == 3:  # PT_INTERP
            interp = data[p_offset:p_offset + p_filesz].rstrip(b"\0")
    needed: list[bytes] = []
    if dynamic:
        entries = [struct.unpack_from("<qQ", data, dynamic[0] + i) for i in range(0, dynamic[1], 16)]
        strtab = next((v for tag, v in entries if tag == 5), None)  # DT_STRTAB, a virtual address
        at = next((off + strtab - vaddr for vaddr, off, size in loads if strtab is not None and vaddr <= strtab < vaddr + size), None)
        for tag, value in entries:
            if tag == 1 and at is not None:  # DT_NEEDED
                needed.append(data[at + value:data.index(b"\0", at + value)])
    if b"ld-musl" in interp or any(n == b"libc.so" or n.startswith(b"libc.musl") for n in needed):
        libc = "musl"
    elif b"ld-linux" in interp or b"libc.so.6" in needed:
        libc = "glibc"
    else:
        libc = "static" if not interp and not needed else "unknown"
    return machine, libc


def expected_from_name(name: str) -> tuple[str, str] | None:
    arch = "aarch64" if re.search(r"aarch64|arm64", name) else "x86_64" if re.search(r"x86_64|x64", name) else None
    if arch is None:
        return None
    libc = "musl" if "musl" in name else "glibc"
    return arch, libc


def artifacts(folder: pathlib.Path):
    """(artifact, member, expected, image bytes) for every native image in the folder."""
    for path in sorted(folder.iterdir()):
        if path.suffix == ".whl":
            with zipfile.ZipFile(path) as wheel:
                for member in wheel.namelist():
                    if member.endswith(".so"):
                        yield path, member, expected_from_name(path.name), wheel.read(member)
        elif path.suffix == ".tgz":
            with tarfile.open(path) as archive:
                for member in archive.getmembers():
                    if member.name.endswith(".node"):
                        f = archive.extractfile(member)
                        yield path, member.name, expected_from_name(member.name), f.read() if f else b""
        elif re.fullmatch(r"agentkit-[0-9][^-]*-(x86_64|aarch64)-unknown-linux-(musl|gnu)", path.name):
            expected = expected_from_name(path.name)
            yield path, path.name, (expected[0], "static") if expected else None, path.read_bytes()


def main() -> int:
    folder = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "dist")
    problems, rows = [], []
    for path, member, expected, data in artifacts(folder):
        try:
            found = elf_facts(data)
        except ValueError as e:
            problems.append(f"{path.name}: {member}: {e}")
            continue
        ok = expected is not None and found == expected
        rows.append((path.name, path.stat().st_size, *found, "ok" if ok else f"EXPECTED {expected}"))
        if not ok:
            problems.append(f"{path.name}: {member} is {found}, its name says {expected}")
    width = max((len(r[0]) for r in rows), default=10)
    for name, size, arch, libc, verdict in rows:
        print(f"{name:<{width}}  {size / 1024 / 1024:7.2f} MiB  {arch:<8} {libc:<7} {verdict}")
    for p in problems:
        print("MISMATCH:", p, file=sys.stderr)
    if not rows:
        print(f"no native artifact in {folder}", file=sys.stderr)
        return 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
