#!/bin/sh
# Checks that simulated-process objects keep every writable global in the image section.
#
# A global of simulated-process code (glibc's _Fork.c, the shims, stubs) that lands in
# .data or .bss is shared by every simulated task: a child would see its parent's later
# writes, and a lock there would be unlocked twice. Such globals must be declared
# SIM_GLOBAL (sim/rt/sim.h), or the object's .data/.bss renamed into the section with
#   objcopy --rename-section .bss=forksim_image,alloc,load,data,contents ...
# Read-only data (.rodata, .data.rel.ro) is fine: it never differs between tasks.
#
# usage: tools/check-image-globals.sh OBJECT...
# Prints one line per offending section, "OBJECT: SECTION holds N bytes: SYMBOLS", and
# exits 1 if there is any; exits 0 and prints nothing when all is well.
set -u
[ $# -gt 0 ] || { echo "usage: $0 OBJECT..." >&2; exit 2; }
status=0
for obj in "$@"; do
    [ -r "$obj" ] || { echo "$obj: cannot read" >&2; status=1; continue; }
    # objdump -h: "Idx Name Size VMA LMA Off Algn"; writable data and bss, and TLS.
    bad=$(objdump -h "$obj" | awk '$1 ~ /^[0-9]+$/ {
            name = $2; size = $3
            if (size ~ /^0+$/) next
            if (name ~ /^\.data\.rel\.ro/) next
            if (name ~ /^\.(data|bss|tdata|tbss)($|\.)/ || name == "COMMON") print name, size
          }') || { echo "$obj: objdump failed" >&2; status=1; continue; }
    [ -n "$bad" ] || continue
    echo "$bad" | while read -r sec size; do
        syms=$(objdump -t "$obj" | awk -v s="$sec" 'index($0, " " s "\t") && $NF !~ /^\./ {print $NF}' | tr '\n' ' ' | sed 's/ $//')
        echo "$obj: $sec holds $((0x$size)) bytes: ${syms:-(no symbol: string or static data)}"
    done
    status=1
done
exit $status
