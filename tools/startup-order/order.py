#!/usr/bin/env python3
"""Turns touched code pages into an ILC symbol order (tools/startup-order).

usage: order.py EXE EXE.dbg MAPS... [--then MAPS...]
EXE is the published executable the maps were taken from, EXE.dbg its symbols. Prints the mangled names of the managed
methods on the pages each group of /proc/PID/maps snapshots shows executable, group by group (start-up first, then what
load added), in address order within a group.
"""
import subprocess
import sys

exe, dbg, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
groups = [[]]
for arg in rest:
    if arg == '--then':
        groups.append([])
    else:
        groups[-1].append(arg)

loads = []
for line in subprocess.run(['readelf', '-lW', exe], capture_output=True, text=True, check=True).stdout.splitlines():
    f = line.split()
    if f and f[0] == 'LOAD':
        loads.append((int(f[1], 16), int(f[2], 16), int(f[4], 16)))


def vaddr(offset):
    for file_offset, address, size in loads:
        if file_offset <= offset < file_offset + size:
            return address + offset - file_offset
    return None


def touched_pages(snapshots):
    pages = set()
    for snapshot in snapshots:
        for line in open(snapshot):
            f = line.split()
            if len(f) < 6 or f[1] != 'r-xp' or not f[5].endswith('edgestream'):
                continue
            start, end = (int(x, 16) for x in f[0].split('-'))
            for page in range(0, end - start, 4096):
                address = vaddr(int(f[2], 16) + page)
                if address is not None:
                    pages.add(address & ~4095)
    return pages


symbols = []
for line in subprocess.run(['nm', '-S', '-n', '--defined-only', dbg], capture_output=True, text=True, check=True).stdout.splitlines():
    f = line.split()
    # Runtime helpers and C++ symbols start with '_'; ILC matches only managed method names anyway.
    if len(f) == 4 and f[2] in 'tT' and not f[3].startswith('_'):
        symbols.append((int(f[0], 16), max(int(f[1], 16), 1), f[3]))

seen = set()
for group in groups:
    pages = touched_pages(group)
    added = 0
    for address, size, name in symbols:
        if name not in seen and any(p in pages for p in range(address & ~4095, ((address + size - 1) & ~4095) + 1, 4096)):
            seen.add(name)
            added += 1
            print(name)
    print(f'{len(pages)} touched pages: {added} methods', file=sys.stderr)
