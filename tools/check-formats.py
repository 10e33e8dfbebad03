#!/usr/bin/env python3
"""check-formats.py FORKSIM SCHEMA TRACES_DIR: the output formats of `forksim run` (issue 14,
items 3 and 4), for every scenario of TRACES_DIR.

  json      validated against SCHEMA (docs/forksim-run.schema.json) with python3-jsonschema
            (Draft 2020-12, every keyword the schema uses is one that library implements);
            then against the text output of the same run: one event per trace line of
            `--all`, the RPC count of the summary line, every name of the summary's table
            with its rights and urefs, every descriptor row, the verdict; with --explain, one
            explain note per note of the text output.
  jsonl     every line validated against the schema's $defs/jsonl_line.
  mermaid   no packaged validator exists: a strict checker of the subset forksim writes.
            The first line is `sequenceDiagram`; every other line is one of the forms
            `participant ID as LABEL`, `ID->>ID: TEXT`, `ID-->>ID: TEXT`, `Note over ID: TEXT`;
            every ID is declared by a participant line before it is used; TEXT holds no ';'
            and no '#' other than an entity (#59;); each request arrow is followed by its
            reply arrow the other way; the arrows are the text trace's RPCs of the parent and
            the child after the set-up, one pair each, in order.
  perfetto  no packaged validator either: a strict checker of the Chrome trace-event format's
            fields (the "Trace Event Format" document): an object with a traceEvents array;
            each event has name, ph, ts, pid, tid; ph X has a dur >= 0; ph M is process_name
            or thread_name with args.name; ph s/t/f have cat and id, f has bp "e"; no other
            phase. Beyond the fields: the X slices of one thread nest (never overlap
            partially), each flow event lies inside an X slice of its thread, each flow id has
            one s, then t, then f in time order, and there is one X slice of an RPC per RPC
            line of the text trace.
  dot       Graphviz's `dot -Tsvg` must accept it (when dot is installed): the check itself.
Prints one line per format and "formats: N passed, N failed"; exit 1 on a failure.
usage: tools/check-formats.py FORKSIM SCHEMA TRACES_DIR [SCENARIO.fsim]
       FORMATS_PLANT=KIND ... (a planted defect, see PLANTS; --plants lists the kinds)
"""
import json
import os
import re
import shutil
import subprocess
import sys

import jsonschema

# Planted defects (FORMATS_PLANT=KIND): the output of one format is spoiled the way a bug
# would spoil it, and the check must then fail (make formats runs each).
PLANTS = {
    "json-extra-field": ("--format=json", lambda o: o.replace('"setup": false', '"setup": false, "colour": 1', 1)),
    "json-wrong-urefs": ("--format=json", lambda o: re.sub(r'"urefs": (\d+)', lambda m: '"urefs": %d' % (int(m.group(1)) + 1), o, count=1)),
    "json-lost-event": ("--format=json", lambda o: json.dumps(dict(json.loads(o), events=json.loads(o)["events"][:-1]))),
    "jsonl-bad-line": ("--format=jsonl", lambda o: o.replace('"type":"rpcs"', '"type":"rpcs","x":0', 1)),
    "mermaid-semicolon": ("--format=mermaid", lambda o: o.replace("KERN_SUCCESS", "KERN_SUCCESS; x", 1)),
    "mermaid-unknown-line": ("--format=mermaid", lambda o: o.replace("\n", "\n    loop forever\n", 2)),
    "mermaid-undeclared": ("--format=mermaid", lambda o: o.replace("    participant kernel as GNU Mach\n", "", 1)),
    "perfetto-no-dur": ("--format=perfetto", lambda o: re.sub(r'"dur": \d+,', "", o, count=1)),
    "perfetto-overlap": ("--format=perfetto", lambda o: re.sub(r'"dur": 8,', '"dur": 13,', o, count=1)),
    "perfetto-flow-order": ("--format=perfetto", lambda o: o.replace('"ph": "f"', '"ph": "s"', 1)),
    "dot-syntax": ("--format=dot", lambda o: o.replace("rankdir=LR;", "rankdir=LR; {", 1)),
}
plant = os.environ.get("FORMATS_PLANT")
if sys.argv[1:] == ["--plants"]:
    print(" ".join(sorted(PLANTS)))
    sys.exit(0)

forksim, schema_path, traces = sys.argv[1:4]
only = sys.argv[4] if len(sys.argv) > 4 else None   # one scenario's file name
schema = json.load(open(schema_path))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
line_schema = dict(schema)
line_schema = {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": "#/$defs/jsonl_line"}
line_validator = jsonschema.Draft202012Validator(line_schema)

passed = failed = 0
def ok():
    global passed
    passed += 1
def bad(msg):
    global failed
    failed += 1
    print("formats: FAIL: " + msg)

def run(path, *opts):
    p = subprocess.run([forksim, "run", path, *opts], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.decode()
    if plant and PLANTS[plant][0] in opts:
        out = PLANTS[plant][1](out)
    return p.returncode, out

STEP_LINE = re.compile(r"^ *\d+ (t\d+\.\d+ |# )")
RPC_LINE = re.compile(r"^ *(\d+) t(\d+)\.(\d+) (trap )?([a-z_0-9]+)\(")

def text_facts(text):
    """What the text output says: trace lines, RPC lines, summary count, names, fds, verdict."""
    lines = text.split("\n")
    f = {"events": 0, "rpcs": [], "names": {}, "fds": {}, "count": None, "verdict": None, "notes": 0}
    section = None
    for l in lines:
        if l.startswith("--- summary"):
            section = "summary"
            continue
        if section is None:
            if STEP_LINE.match(l):
                f["events"] += 1
            m = RPC_LINE.match(l)
            if m:
                f["rpcs"].append((int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(5)))
            if m and "    # " in l:
                f["notes"] += 1
            continue
        if l.startswith("name spaces"):
            section = "names"
            continue
        if l.startswith("descriptors"):
            section = "fds"
            continue
        m = re.match(r"^RPCs of the parent .*: (\d+):", l)
        if m:
            f["count"] = int(m.group(1))
            section = "summary"
            continue
        m = re.match(r"^verdict: (.*?)( \(expectations not met\))?$", l)
        if m:
            f["verdict"] = m.group(1)
        if section == "names":
            m = re.match(r"^ +(\d+)  (\S+) +(\d*)  .{18}  (\S+) +(\d*)  ", l + " " * 60)
            if m and m.group(1) != "name":
                f["names"][int(m.group(1))] = (m.group(2), m.group(3), m.group(4), m.group(5))
        if section == "fds":
            m = re.match(r"^ +(\d+)  (.{36})  (.*)$", l)
            if m:
                f["fds"][int(m.group(1))] = (m.group(2).strip(), m.group(3).strip())
    return f

def fd_text(d):
    if d is None:
        return "-"
    return "io %d, ctty %d%s" % (d["io"], d["ctty"], ", cloexec" if d["cloexec"] else "")

def check_json(path, name):
    rc_text, text_all = run(path, "--all")
    rc, out = run(path, "--format=json")
    if rc != rc_text:
        return bad("%s: --format=json exits %d, the text run %d" % (name, rc, rc_text))
    try:
        doc = json.loads(out)
    except ValueError as e:
        return bad("%s: --format=json is not JSON: %s" % (name, e))
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    if errors:
        e = errors[0]
        return bad("%s: --format=json against the schema: %s at %s" % (name, e.message[:200], list(e.path)))
    f = text_facts(text_all)
    if len(doc["events"]) != f["events"]:
        return bad("%s: %d events, the text trace has %d lines" % (name, len(doc["events"]), f["events"]))
    rpcs = [(e["step"], e["task"], e["thread"], e["routine"]) for e in doc["events"] if e["type"] == "rpc"]
    if rpcs != f["rpcs"]:
        return bad("%s: the rpc events are not the text trace's RPC lines" % name)
    if f["count"] is not None and doc["rpcs"]["total"] != f["count"]:
        return bad("%s: rpcs.total %d, the summary says %d" % (name, doc["rpcs"]["total"], f["count"]))
    if sum(doc["rpcs"]["by_routine"].values()) != doc["rpcs"]["total"]:
        return bad("%s: rpcs.by_routine does not add up to rpcs.total" % name)
    if doc["verdict"]["verdict"] != f["verdict"]:
        return bad("%s: verdict %s, the text says %s" % (name, doc["verdict"]["verdict"], f["verdict"]))
    sp = doc["spaces"]
    if sp["at"] == "abort":
        # a process aborted: the JSON keeps the spaces as the abort began; the text run
        # stopped (--stop-at) at the abort's note line shows them as they were just before it
        abort = [e for e in doc["events"] if e["type"] == "note" and e["text"].startswith("abort: task")]
        if not abort or not sp["parent"]["names"]:
            return bad("%s: spaces at an abort, but no abort note or no names" % name)
        _, text_stop = run(path, "--stop-at", str(abort[0]["step"]))
        f = dict(f)
        g = text_facts(text_stop)
        f["names"] = g["names"]
        f["fds"] = {}
        if not f["names"]:
            return bad("%s: --stop-at the abort's step shows no names" % name)
    for n, (pr, pu, cr, cu) in f["names"].items():
        for side, rights, urefs in (("parent", pr, pu), ("child", cr, cu)):
            got = [x for x in sp[side]["names"] if x["name"] == n]
            if rights == "-":
                if got:
                    return bad("%s: %s name %d is in the JSON, not in the text" % (name, side, n))
            elif not got or got[0]["rights"] != rights or str(got[0]["urefs"]) != urefs:
                return bad("%s: %s name %d: JSON %s, text %s %s" % (name, side, n, got, rights, urefs))
    count = sum(1 for s in ("parent", "child") for x in sp[s]["names"])
    if count != sum((r[0] != "-") + (r[2] != "-") for r in f["names"].values()):
        return bad("%s: the JSON has %d names, the text table another count" % (name, count))
    for fd, (pt, ct) in f["fds"].items():
        for side, want in (("parent", pt), ("child", ct)):
            got = [d for d in sp[side]["descriptors"] if d["fd"] == fd]
            if fd_text(got[0] if got else None) != want:
                return bad("%s: %s fd %d: JSON %s, text %s" % (name, side, fd, got, want))
    if sp["at"] != "abort" and sum(len(sp[s]["descriptors"]) for s in ("parent", "child")) != sum((a != "-") + (b != "-") for a, b in f["fds"].values()):
        return bad("%s: the JSON's descriptor count is not the text table's" % name)
    # --explain: the same notes
    _, text_ex = run(path, "--explain", "--all")
    _, out_ex = run(path, "--explain", "--format=json")
    doc_ex = json.loads(out_ex)
    if list(validator.iter_errors(doc_ex)):
        return bad("%s: --explain --format=json against the schema" % name)
    notes = sum(1 for e in doc_ex["events"] if e.get("explain"))
    if notes != text_facts(text_ex)["notes"]:
        return bad("%s: %d explain notes in the JSON, %d in the text" % (name, notes, text_facts(text_ex)["notes"]))
    ok()
    # jsonl: each line a jsonl_line; as many events and names as the document
    _, out_l = run(path, "--format=jsonl")
    lines = [json.loads(l) for l in out_l.splitlines()]
    for l in lines:
        errs = list(line_validator.iter_errors(l))
        if errs:
            return bad("%s: a jsonl line against $defs/jsonl_line: %s: %s" % (name, errs[0].message[:200], json.dumps(l)[:200]))
    if sum(1 for l in lines if l["type"] in ("rpc", "note", "line")) != len(doc["events"]) or \
       sum(1 for l in lines if l["type"] == "name") != count or lines[-1]["type"] != "verdict":
        return bad("%s: the jsonl lines are not the document's events, names and verdict" % name)
    ok()
    return doc, f

MERMAID_ID = r"[a-z]+"
MERMAID_TEXT = r"(?:[^;#\n]|#\d+;)+"
MERMAID_FORMS = [
    ("participant", re.compile(r"^    participant (%s) as ([^;#\n]+)$" % MERMAID_ID)),
    ("request", re.compile(r"^    (%s)->>(%s): (%s)$" % (MERMAID_ID, MERMAID_ID, MERMAID_TEXT))),
    ("reply", re.compile(r"^    (%s)-->>(%s): (%s)$" % (MERMAID_ID, MERMAID_ID, MERMAID_TEXT))),
    ("note", re.compile(r"^    Note over (%s): (%s)$" % (MERMAID_ID, MERMAID_TEXT))),
]

def check_mermaid(path, name, f, doc):
    rc, out = run(path, "--format=mermaid", "--explain")
    lines = out.rstrip("\n").split("\n")
    if lines[0] != "sequenceDiagram":
        return bad("%s: mermaid: the first line is not sequenceDiagram" % name)
    declared = set()
    pending = None
    arrows = []
    for i, l in enumerate(lines[1:], 2):
        for form, rx in MERMAID_FORMS:
            m = rx.match(l)
            if m:
                break
        else:
            return bad("%s: mermaid line %d is no known statement: %r" % (name, i, l))
        if form == "participant":
            if arrows:
                return bad("%s: mermaid line %d: a participant after the first arrow" % (name, i))
            declared.add(m.group(1))
            continue
        ids = [m.group(1)] + ([m.group(2)] if form != "note" else [])
        for x in ids:
            if x not in declared:
                return bad("%s: mermaid line %d: %s is not a declared participant" % (name, i, x))
        if form == "request":
            if pending:
                return bad("%s: mermaid line %d: a request before the reply to the last one" % (name, i))
            pending = (m.group(1), m.group(2))
            arrows.append(m.group(3))
        elif form == "reply":
            if pending != (m.group(2), m.group(1)):
                return bad("%s: mermaid line %d: a reply that answers no request" % (name, i))
            pending = None
    if pending:
        return bad("%s: mermaid: the last request has no reply" % name)
    roles = [t["task"] for t in doc["tasks"] if re.fullmatch(r"(last )?child|parent", t["name"])]
    want = [e for e in doc["events"] if e["type"] == "rpc" and not e["setup"] and e["task"] in roles]
    got = [re.sub(r"^(trap )?([a-z_0-9]+)\(.*\[step (\d+)\]$", r"\2 \3", a) for a in arrows]
    if got != ["%s %d" % (e["routine"], e["step"]) for e in want]:
        return bad("%s: mermaid: the arrows are not the parent's and child's RPCs after the set-up" % name)
    ok()

def check_perfetto(path, name, f):
    rc, out = run(path, "--format=perfetto")
    try:
        doc = json.loads(out)
    except ValueError as e:
        return bad("%s: perfetto: not JSON: %s" % (name, e))
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        return bad("%s: perfetto: no traceEvents array" % name)
    slices = {}
    flows = {}
    nrpc = 0
    for i, e in enumerate(doc["traceEvents"]):
        where = "%s: perfetto event %d" % (name, i)
        if not isinstance(e, dict):
            return bad(where + ": not an object")
        for k, t in (("name", str), ("ph", str), ("pid", int), ("tid", int)):
            if not isinstance(e.get(k), t):
                return bad(where + ": %s missing or not %s" % (k, t.__name__))
        if not isinstance(e.get("ts"), (int, float)) or e["ts"] < 0:
            return bad(where + ": ts missing or negative")
        ph = e["ph"]
        allowed = {"name", "ph", "ts", "pid", "tid", "cat", "args"}
        if ph == "X":
            if not isinstance(e.get("dur"), (int, float)) or e["dur"] < 0:
                return bad(where + ": an X event without dur >= 0")
            allowed |= {"dur"}
            slices.setdefault((e["pid"], e["tid"]), []).append((e["ts"], e["ts"] + e["dur"]))
            if e.get("cat") in ("rpc", "trap"):
                nrpc += 1
        elif ph == "M":
            if e["name"] not in ("process_name", "thread_name") or not isinstance(e.get("args", {}).get("name"), str):
                return bad(where + ": a metadata event that is not process_name/thread_name with args.name")
        elif ph in ("s", "t", "f"):
            if not isinstance(e.get("cat"), str) or "id" not in e:
                return bad(where + ": a flow event without cat and id")
            if ph == "f" and e.get("bp") != "e":
                return bad(where + ": a flow end without bp e")
            allowed |= {"id", "bp"}
            flows.setdefault(e["id"], []).append(e)
        else:
            return bad(where + ": phase %r is not one forksim writes" % ph)
        if set(e) - allowed:
            return bad(where + ": unknown fields %s" % sorted(set(e) - allowed))
    for key, ss in slices.items():
        ss.sort(key=lambda s: (s[0], -s[1]))
        stack = []
        for a, b in ss:
            while stack and stack[-1][1] <= a:
                stack.pop()
            if stack and b > stack[-1][1]:
                return bad("%s: perfetto: slices of thread %s overlap without nesting: %s and %s" % (name, key, stack[-1], (a, b)))
            stack.append((a, b))
    for fid, evs in flows.items():
        phs = "".join(e["ph"] for e in sorted(evs, key=lambda e: e["ts"]))
        if not re.fullmatch(r"st*f", phs):
            return bad("%s: perfetto: flow %s is %s, not s, t..., f in time order" % (name, fid, phs))
        for e in evs:
            if not any(a <= e["ts"] <= b for a, b in slices.get((e["pid"], e["tid"]), [])):
                return bad("%s: perfetto: flow %s's %s event is in no slice of its thread" % (name, fid, e["ph"]))
    if nrpc != len(f["rpcs"]):
        return bad("%s: perfetto: %d RPC slices, the text trace has %d RPC lines" % (name, nrpc, len(f["rpcs"])))
    ok()
    return len(flows)

def check_dot(path, name):
    rc, out = run(path, "--format=dot")
    p = subprocess.run(["dot", "-Tsvg"], input=out.encode(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0 or b"<svg" not in p.stdout or p.stderr.strip():
        return bad("%s: dot -Tsvg refuses --format=dot: %s" % (name, p.stderr.decode()[:300]))
    ok()

have_dot = shutil.which("dot") is not None
scenarios = sorted(x for x in os.listdir(traces) if x.endswith(".fsim") and (only is None or x == only))
nflows = 0
for s in scenarios:
    path = os.path.join(traces, s)
    r = check_json(path, s)
    if r is None:
        continue
    doc, f = r
    check_mermaid(path, s, f, doc)
    n = check_perfetto(path, s, f)
    nflows += n or 0
    if have_dot:
        check_dot(path, s)
if nflows == 0:
    bad("perfetto: no flow arrow in any scenario")
print("formats: %d scenarios: json against %s and the text output, jsonl, mermaid, perfetto (%d flows)%s"
      % (len(scenarios), os.path.basename(schema_path), nflows, ", dot -Tsvg" if have_dot else ", dot skipped: no dot"))
print("formats: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
