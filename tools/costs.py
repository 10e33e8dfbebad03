#!/usr/bin/env python3
# make costs (issue 13, item 3): what a process of N names and D descriptors pays to start
# another program on the simulated Hurd, four ways, counted by `forksim cost` (docs/
# cost-rules.md, CO1-CO4): glibc's fork alone; fork, then exec in the child; vfork, then exec
# (glibc 2.36's vfork on the Hurd is fork: posix/vfork.c); glibc's posix_spawn (spawni.c). A
# table, a plot (gnuplot, SVG) and, per series, the fitted line calls = a + b*N + c*D.
#
# Each point is a scenario written here: N more names (send rights with 1 uref to ports of
# another process, `have names N of send`), D descriptors (the default 3 on the console, a
# terminal, plus D - 3 more alike, `have fd tty times K`), then the series' steps and the
# parent's wait for the child (which exits 0: /bin/true, or `child exit 0` for fork alone).
# Every figure comes from the run. "calls" are those of the parent and of every task it made
# (the child, the program exec or spawn started in it): both sides of the process, the new
# program's start-up included; "all" adds the servers' own calls (CO4: the exec server's
# kernel calls on the names it is handed count). A point forksim cannot run stops as
# unmodelled (exit 3) and its cell says so: it is never estimated; today every cell runs.
# exec's request carries the descriptors and the names to destroy inline where they fit, and
# out of line past MIG's inline bound (2048 bytes) or forksim's 512-byte message
# (docs/exec-rules.md EX20): one message either way, so the RPC counts do not change with the
# form; the only calls out-of-line memory adds are the servers' vm_deallocate of the regions
# they are given ("all"). The virtual clock charges nothing per byte, per descriptor or per
# page (CO2): GNU Mach's copy of out-of-line memory (vm_map_copyin, vm_map_copyout) is part of
# the one mach_msg, not a call of its own. The exec and spawn series also run on a small grid
# where every array goes inline; the fitted lines use both grids.
#
# The point N=0, D=3 of fork alone is the walkthrough's process itself: its count must equal
# the one `forksim run traces/walkthrough.fsim` prints, or this fails.
#
# usage: tools/costs.py FORKSIM OUTDIR
#   prints the table; writes OUTDIR/table.txt (the part the READMEs quote: tools/
#   costs-quote.sh), OUTDIR/costs.dat and the plot beside OUTDIR, costs.svg
import json
import os
import re
import subprocess
import sys

NS = [10, 100, 1000, 10000]
DS = [3, 16, 256]
SMALL_NS = [10, 20, 40]     # the small grid (exec's request all inline, EX20)
SMALL_DS = [3, 5]

SERIES = [
    ("fork", "fork", ["fork glibc"], ["parent fork -> ok", "child exit 0"]),
    ("fork+exec", "fork+exec", ["fork glibc"], ["parent fork -> ok", "child exec /bin/true"]),
    ("vfork+exec", "vfork+exec", ["fork glibc"], ["parent vfork -> ok", "child exec /bin/true"]),
    ("posix_spawn", "spawn", [], ["parent spawn /bin/true"]),
    # forksim's own fork (issue 13, item 5: forkimpl/fork_ours.c, the names in one
    # task_copy_names call, docs/fork-ours-rules.md), at the points of glibc's fork alone
    ("fork ours", "ours", ["fork ours"], ["parent fork -> ok", "child exit 0"]),
]
FORKS = ("fork", "fork ours")               # the series that exec nothing: the main grid only
SMALL_SERIES = [s for s in SERIES if s[0] not in FORKS]


def scenario(series, n, d):
    name, _, head, steps = series
    lines = ["forksim-scenario 1", f"title cost series {name}: N={n} names, D={d} descriptors"]
    lines += head
    if n:
        lines.append(f"have names {n} of send")
    if d > 3:
        lines.append(f"have fd tty times {d - 3}")
    lines += steps + ["parent wait -> status 0", "expect verdict ok"]
    return "\n".join(lines) + "\n"


def cost(forksim, path):
    out = subprocess.run([forksim, "cost", path, "--format=jsonl"], capture_output=True, text=True)
    if out.returncode == 3 and "unmodelled" in out.stderr:
        return None
    if out.returncode != 0:
        sys.exit(f"costs: forksim cost {path} exited {out.returncode}: {out.stderr.strip()}")
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    callers = [r for r in rows if r["type"] == "caller"]
    parent = [r["task"] for r in callers if r["caller"].endswith(" the parent")]
    if not parent:
        sys.exit(f"costs: forksim cost {path}: no calls of the parent")
    # the parent and every task made after it (the child, the program started in it)
    ours = [r for r in callers if r["task"] >= parent[0]]
    head = rows[0]
    total = rows[-1]
    return {
        "calls": sum(r["calls"] for r in ours),
        "rpcs": sum(r["rpcs"] for r in ours),
        "all": total["calls"],
        "messages": head["messages"],
        "ms": head["clock_ms"],
    }


def fit(points, key):
    """Least squares of y = a + b*N + c*D (normal equations, Cramer's rule); None when the
    points do not determine the three (fewer than 3, or all one N or one D)."""
    if len(points) < 3 or len({n for n, _ in points}) < 2 or len({d for _, d in points}) < 2:
        return None
    s = [[0.0] * 3 for _ in range(3)]
    t = [0.0] * 3
    for (n, d), v in points.items():
        x = [1.0, float(n), float(d)]
        for j in range(3):
            t[j] += x[j] * v[key]
            for k in range(3):
                s[j][k] += x[j] * x[k]

    def det(m):
        return (m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
                - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]))
    dt = det(s)
    out = []
    for j in range(3):
        m = [row[:] for row in s]
        for k in range(3):
            m[k][j] = t[k]
        out.append(det(m) / dt)
    worst = max(abs(out[0] + out[1] * n + out[2] * d - v[key]) for (n, d), v in points.items())
    return out, worst


def num(x):
    if abs(x) < 5e-4:
        x = 0.0
    return f"{x:.0f}" if abs(x - round(x)) < 1e-6 else f"{x:.3f}"


def cell(v, key):
    return "unmodelled" if v is None else str(v[key])


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: tools/costs.py FORKSIM OUTDIR")
    forksim, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    grid = [(n, d) for n in NS for d in DS]
    small = [(n, d) for n in SMALL_NS for d in SMALL_DS]
    results = {}     # (series, n, d) -> figures or None (unmodelled)
    for series in SERIES:
        pts = grid + ([(0, 3)] if series[0] in FORKS else []) + (small if series[0] not in FORKS else [])
        for n, d in pts:
            if (series[0], n, d) in results:
                continue
            path = os.path.join(outdir, f"{series[1]}-n{n}-d{d}.fsim")
            with open(path, "w") as f:
                f.write(scenario(series, n, d))
            results[(series[0], n, d)] = cost(forksim, path)

    # the walkthrough's own count, from the command's summary of its trace
    run = subprocess.run([forksim, "run", "traces/walkthrough.fsim"], capture_output=True, text=True)
    m = re.search(r"^RPCs of the parent \(task \d+\) and the child \(task \d+\) after the set-up: (\d+)",
                  run.stdout, re.M)
    if m is None:
        sys.exit("costs: forksim run traces/walkthrough.fsim printed no RPC count")
    walk = int(m.group(1))
    base = results[("fork", 0, 3)]

    out = []
    out.append("calls of the parent and of the tasks it made (traps and RPCs), then all: every task's")
    out.append("calls, the servers' too; ms: the virtual clock, where a call costs 0 ms (CO2).")
    out.append("exec's arrays past MIG's inline bound or the 512-byte message go out of line (EX20):")
    out.append("the same one message; unmodelled would mark a point forksim stopped at (none now).")
    out.append("")
    hdr = f"{'N':>6} {'D':>4}"
    for s in SERIES:
        hdr += f" | {s[0]:>11} {'all':>6} {'ms':>2}"
    out.append(hdr)
    out.append("-" * len(hdr))
    for n, d in grid:
        row = f"{n:>6} {d:>4}"
        for s in SERIES:
            v = results[(s[0], n, d)]
            row += " | " + (f"{'unmodelled':>21}" if v is None
                            else f"{v['calls']:>11} {v['all']:>6} {v['ms']:>2}")
        out.append(row)
    out.append("")
    out.append("the small grid, where exec's request carries every array inline (calls, then all):")
    hdr2 = f"{'N':>6} {'D':>4}" + "".join(f" | {s[0]:>11} {'all':>6}" for s in SMALL_SERIES)
    out.append(hdr2)
    out.append("-" * len(hdr2))
    for n, d in small:
        out.append(f"{n:>6} {d:>4}" + "".join(
            f" | {cell(results[(s[0], n, d)], 'calls'):>11} {cell(results[(s[0], n, d)], 'all'):>6}"
            for s in SMALL_SERIES))
    out.append("")
    for s in SERIES:
        pts = {(n, d): results[(s[0], n, d)] for (name, n, d) in results
               if name == s[0] and results[(name, n, d)] is not None and n > 0}
        for key, what in [("calls", "calls"), ("all", "all calls")]:
            f = fit(pts, key)
            if f is None:
                out.append(f"fit {s[0]:>11} {what:>9}: too few points that ran")
                continue
            (a, b, c), worst = f
            res = "on the line exactly" if worst < 1e-6 else f"largest residual {worst:.3g}"
            out.append(f"fit {s[0]:>11} {what:>9}: {num(a)} + {num(b)}*N + {num(c)}*D"
                       f"   ({len(pts)} points, {res})")
    same = [(n, d) for (name, n, d) in results if name == "fork+exec"
            and results[("vfork+exec", n, d)] is not None]
    differ = [(n, d) for (n, d) in same if results[("fork+exec", n, d)] != results[("vfork+exec", n, d)]]
    out.append("")
    out.append(f"vfork+exec against fork+exec: {len(same) - len(differ)} of {len(same)} points that ran "
               "alike in every figure" + ("" if not differ else f"; differ at {differ}"))
    out.append(f"N=0, D=3 (the walkthrough's process): {base['calls']} calls of the parent and the child; "
               f"forksim run traces/walkthrough.fsim: {walk}")
    if base["calls"] != walk:
        sys.exit("costs: the series' N=0, D=3 point differs from the walkthrough's RPC count")
    text = "\n".join(out) + "\n"
    with open(os.path.join(outdir, "table.txt"), "w") as f:
        f.write(text)
    print("make costs: the cost of starting a program from a process of N names and D descriptors")
    print(text, end="")

    dat = os.path.join(outdir, "costs.dat")
    blocks = []
    with open(dat, "w") as f:
        # each series at each D, over the N that ran (the small grid's too): a line of one
        # point is left out
        for s in SERIES:
            for d in sorted({d for (name, _, d) in results if name == s[0]}):
                rows = sorted((n, v) for (name, n, dd), v in results.items()
                              if name == s[0] and dd == d and n > 0 and v is not None)
                if len(rows) < 2:
                    continue
                f.write(f"# {s[0]} D={d}\n")
                for n, v in rows:
                    f.write(f"{n} {v['calls']} {v['all']}\n")
                f.write("\n\n")
                blocks.append(f"{s[0]}, D={d}")
    svg = os.path.join(os.path.dirname(os.path.normpath(outdir)) or ".", "costs.svg")
    gp = os.path.join(outdir, "costs.gp")
    with open(gp, "w") as f:
        f.write("set terminal svg size 900,560 dynamic\n")
        f.write(f"set output '{svg}'\n")
        f.write("set title \"Starting a program on forksim's Hurd: calls of the parent's side\"\n")
        f.write("set xlabel 'names N'\nset ylabel 'calls'\nset logscale xy\nset key outside right top\n")
        plots = [f"'{dat}' index {i} using 1:2 with linespoints title '{b}'"
                 for i, b in enumerate(blocks)]
        f.write("plot " + ", ".join(plots) + "\n")
    g = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    if g.returncode != 0:
        sys.exit(f"costs: gnuplot failed: {g.stderr.strip()}")
    print(f"plot: {svg} (data {dat})")


main()
