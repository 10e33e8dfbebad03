#!/usr/bin/env python3
# make costs (issue 13, item 3): what glibc's fork costs for a process of N names and D
# descriptors, counted by `forksim cost` (docs/cost-rules.md, CO1-CO4), as a table, a plot
# (gnuplot, SVG) and the fitted line calls = a + b*N + c*D.
#
# Each point is a scenario written here: the walkthrough's steps (fork, the child's exit 0, the
# parent's wait) for a process holding N more names (send rights with 1 uref to ports of
# another process, `have names N of send`) and D descriptors (the default 3 on the console, a
# terminal, plus D - 3 more alike, `have fd tty times K`). Every figure comes from the run.
# The point N=0, D=3 is the walkthrough's process itself: its count must equal the one
# `forksim run traces/walkthrough.fsim` prints ("RPCs of the parent ... after the set-up: X",
# counted from the trace text by the command, not by forksim cost), or this fails.
#
# usage: tools/costs.py FORKSIM OUTDIR
import json
import os
import re
import subprocess
import sys

NS = [10, 100, 1000, 10000]
DS = [3, 16, 256]


def scenario(n, d, fork="glibc"):
    lines = ["forksim-scenario 1", f"title cost series: N={n} names, D={d} descriptors", f"fork {fork}"]
    if n:
        lines.append(f"have names {n} of send")
    if d > 3:
        lines.append(f"have fd tty times {d - 3}")
    lines += ["parent fork -> ok", "child exit 0", "parent wait -> status 0", "expect verdict ok"]
    return "\n".join(lines) + "\n"


def cost(forksim, path):
    out = subprocess.run([forksim, "cost", path, "--format=jsonl"], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"costs: forksim cost {path} exited {out.returncode}: {out.stderr.strip()}")
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    ours = [r for r in rows if r["type"] == "caller"
            and (r["caller"].endswith(" the parent") or r["caller"].endswith(" the child"))]
    head = rows[0]
    total = rows[-1]
    return {
        "calls": sum(r["calls"] for r in ours),          # the forking process's side
        "rpcs": sum(r["rpcs"] for r in ours),
        "all": total["calls"],                           # servers' side too (CO4)
        "messages": head["messages"],                    # notifications included (CO1)
        "ms": head["clock_ms"],                          # CO2
    }


def fit(points, key):
    """Least squares of y = a + b*N + c*D (normal equations, Cramer's rule)."""
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
    return f"{x:.0f}" if abs(x - round(x)) < 1e-6 else f"{x:.3f}"


def ours_series(forksim, outdir, points, base):
    """The fork ours series (issue 13 item 5: forkimpl/fork_ours.c, one task_copy_names call for
    the names, docs/fork-ours-rules.md), at the same points as glibc's fork."""
    ours = {}
    for (n, d) in [(0, 3)] + sorted(points):
        path = os.path.join(outdir, f"ours-n{n}-d{d}.fsim")
        with open(path, "w") as f:
            f.write(scenario(n, d, "ours"))
        ours[(n, d)] = cost(forksim, path)
    glibc = dict(points)
    glibc[(0, 3)] = base
    print()
    print("fork ours (forkimpl/fork_ours.c: the names in one task_copy_names call), the same points:")
    hdr = f"{'N':>6} {'D':>4} | {'fork calls':>10} {'rpcs':>6} {'all':>6} {'messages':>8} {'ms':>3} | {'glibc calls':>11} {'saved':>6}"
    print(hdr)
    print("-" * len(hdr))
    for (n, d), v in sorted(ours.items()):
        g = glibc[(n, d)]["calls"]
        print(f"{n:>6} {d:>4} | {v['calls']:>10} {v['rpcs']:>6} {v['all']:>6} {v['messages']:>8} {v['ms']:>3} | {g:>11} {g - v['calls']:>6}")
    print()
    fitted = {k: v for k, v in ours.items() if k != (0, 3)}
    for key, what in [("calls", "fork calls"), ("rpcs", "fork rpcs"), ("all", "all calls"),
                      ("messages", "messages")]:
        (a, b, c), worst = fit(fitted, key)
        print(f"fit ours {what:>10}: {num(a)} + {num(b)}*N + {num(c)}*D   (largest residual {worst:.3g})")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: tools/costs.py FORKSIM OUTDIR")
    forksim, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    points = {}
    for n in [0] + NS:
        for d in DS:
            if n == 0 and d != 3:
                continue
            path = os.path.join(outdir, f"fork-n{n}-d{d}.fsim")
            with open(path, "w") as f:
                f.write(scenario(n, d))
            points[(n, d)] = cost(forksim, path)

    # the walkthrough's own count, from the command's summary of its trace
    run = subprocess.run([forksim, "run", "traces/walkthrough.fsim"], capture_output=True, text=True)
    m = re.search(r"^RPCs of the parent \(task \d+\) and the child \(task \d+\) after the set-up: (\d+)",
                  run.stdout, re.M)
    if m is None:
        sys.exit("costs: forksim run traces/walkthrough.fsim printed no RPC count")
    walk = int(m.group(1))
    base = points.pop((0, 3))

    print("glibc's fork, counted by forksim cost (docs/cost-rules.md): the walkthrough's steps (fork,")
    print("the child's exit, the parent's wait) for a process of N more names (send rights, 1 uref)")
    print("and D descriptors (terminals, as the default 3). calls: the parent's and the child's (traps")
    print("and RPCs); rpcs: those made by message; all: every task's calls, the servers' side too;")
    print("ms: the virtual clock, where a call costs 0 ms (CO2).")
    print()
    hdr = f"{'N':>6} {'D':>4} | {'fork calls':>10} {'rpcs':>6} {'all':>6} {'messages':>8} {'ms':>3} | {'fork+exec':>9} | {'posix_spawn':>11}"
    print(hdr)
    print("-" * len(hdr))
    for (n, d), v in sorted(points.items()):
        print(f"{n:>6} {d:>4} | {v['calls']:>10} {v['rpcs']:>6} {v['all']:>6} {v['messages']:>8} {v['ms']:>3} | {'-':>9} | {'-':>11}")
    print()
    print("fork+exec and posix_spawn: not built yet (issue 13 item 1: glibc's spawni.c, and exec after")
    print("fork through hurdexec.c); their columns are left empty until those run, never estimated.")
    print()
    for key, what in [("calls", "fork calls"), ("rpcs", "fork rpcs"), ("all", "all calls"),
                      ("messages", "messages")]:
        (a, b, c), worst = fit(points, key)
        print(f"fit {what:>10}: {num(a)} + {num(b)}*N + {num(c)}*D   (largest residual {worst:.3g})")
    print()
    print(f"N=0, D=3 (the walkthrough's process): {base['calls']} calls of the parent and the child; "
          f"forksim run traces/walkthrough.fsim: {walk}")
    if base["calls"] != walk:
        sys.exit("costs: the series' N=0, D=3 point differs from the walkthrough's RPC count")
    print("(a, the constant, holds one name more than N for N > 0: the process's send right to the")
    print("other process's task, whose ports the N names are; each costs the same as a named one.)")
    ours_series(forksim, outdir, points, base)

    dat = os.path.join(outdir, "costs.dat")
    with open(dat, "w") as f:
        for d in DS:
            f.write(f"# D={d}\n")
            for n in NS:
                v = points[(n, d)]
                f.write(f"{n} {v['calls']} {v['all']}\n")
            f.write("\n\n")
    svg = os.path.join(os.path.dirname(os.path.normpath(outdir)) or ".", "costs.svg")
    gp = os.path.join(outdir, "costs.gp")
    with open(gp, "w") as f:
        f.write("set terminal svg size 800,500 dynamic\n")
        f.write(f"set output '{svg}'\n")
        f.write("set title \"glibc's fork on forksim: calls of the parent and the child\"\n")
        f.write("set xlabel 'names N'\nset ylabel 'calls'\nset logscale xy\nset key left top\n")
        plots = [f"'{dat}' index {i} using 1:2 with linespoints title 'fork, D={d}'"
                 for i, d in enumerate(DS)]
        f.write("plot " + ", ".join(plots) + "\n")
    g = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    if g.returncode != 0:
        sys.exit(f"costs: gnuplot failed: {g.stderr.strip()}")
    print(f"plot: {svg} (data {dat})")


main()
