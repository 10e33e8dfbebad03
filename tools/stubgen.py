#!/usr/bin/env python3
"""stubgen.py: the mock MIG stubs, generated from a routine table (issue 14, item 7).

MIG turns an interface's .defs file into the client stubs glibc calls; forksim's stand-ins
for those stubs were written out one by one, about seventy-five near-identical bodies. This
script turns a table of routines (sim/kern/mach.stubs, sim/hurd/hurd.stubs; the format is
described at the top of each) into their C bodies. The build runs it (the Makefile's block
"MIG stubs from tables") and the hand-written file of the layer includes the result:
sim/kern/mig_mach.c includes mach.stubs.c, sim/hurd/hurd_stubs.c includes hurd.stubs.c.
What a routine does that no table line says (a task's image copied, a thread's start state,
out-of-line arrays) stays hand-written beside the include.

Two kinds of stub, as the table's `interface` line says:
  kernel    a call of the model's routine mk_NAME (mach.defs, mach_port.defs): the fault plan
            around it (a failed send does nothing; a failed routine discards the rights the
            request carried, M11; a lost reply destroys the rights the reply carried), glibc's
            trap shortcut first when the routine has one (K8), one trace line.
  message   a request built item by item and sent over the model's mach_msg (mig_rpc: M10-M12),
            the reply read item by item in the order of the .defs, one trace line.

usage: tools/stubgen.py TABLE > OUT.c     (exit 2 with TABLE:LINE: what is wrong)
"""
import re
import sys


def fail(where, msg):
    sys.stderr.write("%s: %s\n" % (where, msg))
    sys.exit(2)


# --- the table --------------------------------------------------------------------------------

class Param:
    def __init__(self, where, direction, name, ctype, wire, trace):
        self.where, self.dir, self.name, self.ctype, self.wire, self.trace = \
            where, direction, name, ctype, wire, trace
        m = re.fullmatch(r"(\w+)(?:\((\w+)\))?(\[\])?", wire)
        if m is None:
            fail(where, "wire type '%s' is not WORD, WORD(ARG) or WORD[]" % wire)
        self.kind, self.arg, self.array = m.group(1), m.group(2), m.group(3) is not None


class Routine:
    def __init__(self, where, name, flags):
        self.where, self.name, self.params = where, name, []
        self.trap = self.shortcut = self.intr = self.static = False
        self.on, self.id, self.effect, self.made, self.waittime = [], None, None, None, None
        for f in flags:
            m = re.fullmatch(r"(\w+)(?:=(\w+)|\(([\w, ]*)\))?", f)
            if m is None:
                fail(where, "flag '%s' is not WORD, WORD=VALUE or WORD(A, B)" % f)
            key, value, args = m.group(1), m.group(2), m.group(3)
            if key in ("trap", "shortcut", "intr", "static") and value is None and args is None:
                setattr(self, key, True)
            elif key == "on" and args is not None:
                self.on = [a.strip() for a in args.split(",") if a.strip()]
                if not 1 <= len(self.on) <= 2:
                    fail(where, "on() names one or two parameters")
            elif key in ("id", "effect", "made") and value is not None:
                setattr(self, key, value)
            else:
                fail(where, "unknown flag '%s'" % f)


def parse(path):
    interface, routines, current = None, [], None
    with open(path) as f:
        for n, line in enumerate(f, 1):
            where = "%s:%d" % (path, n)
            text = "" if line.lstrip().startswith("#") else line.rstrip("\n")
            if not text.strip():
                continue
            words = text.split()
            if words[0] == "interface":
                if len(words) != 2 or words[1] not in ("kernel", "message"):
                    fail(where, "interface kernel|message")
                interface = words[1]
            elif words[0] == "routine":
                if interface is None:
                    fail(where, "a routine before the interface line")
                if len(words) < 2:
                    fail(where, "routine NAME [flags]")
                current = Routine(where, words[1], re.findall(r"\w+\([^)]*\)|\S+", text.split(None, 2)[2]) if len(words) > 2 else [])
                current.interface = interface
                routines.append(current)
            elif words[0] in ("in", "out", "buf"):
                if current is None:
                    fail(where, "a parameter before any routine")
                head, *fields = [x.strip() for x in text.split("|")]
                hw = head.split()
                if len(hw) != 2 or len(fields) != 3:
                    fail(where, "DIR NAME | C TYPE | WIRE | TRACE")
                current.params.append(Param(where, hw[0], hw[1], fields[0], fields[1], fields[2]))
            else:
                fail(where, "a line is interface, routine, in, out or buf (or a # comment)")
    if interface is None:
        fail(path, "no interface line")
    for r in routines:
        check(r)
    return interface, routines


KERNEL_IN = {"value", "port", "poly"}
KERNEL_OUT = {"value", "right", "poly"}
MSG_IN = {"dest", "port", "poly", "int32", "int64", "string", "bytes", "ports", "ints", "names",
          "waittime"}
MSG_OUT = {"port", "int32", "int64", "struct", "string", "bytes", "ports", "ints"}
ARRAYS = {"bytes", "ports", "ints", "names"}


def check(r):
    names = [p.name for p in r.params]
    for p in r.params:
        kinds = {("kernel", "in"): KERNEL_IN, ("kernel", "out"): KERNEL_OUT,
                 ("message", "in"): MSG_IN, ("message", "out"): MSG_OUT}.get((r.interface, p.dir))
        if p.dir == "buf":
            if r.interface != "kernel" or p.kind != "pass" or p.trace != "-":
                fail(p.where, "buf NAME | C TYPE | pass | - (kernel routines: handed to the model as is)")
            continue
        if p.kind not in kinds:
            fail(p.where, "a %s routine's %s parameter has no wire type '%s' (one of %s)"
                 % (r.interface, p.dir, p.kind, ", ".join(sorted(kinds))))
        if (p.kind in ARRAYS) != p.array:
            fail(p.where, "'%s' is %san array: write %s" % (p.kind, "" if p.kind in ARRAYS else "not ",
                                                        p.kind + ("[]" if p.kind in ARRAYS else "")))
        if (p.kind == "right" or (p.kind == "port" and p.dir == "in")) and p.arg is None:
            fail(p.where, "%s(DISPOSITION) names the right's disposition or kind" % p.kind)
    if r.interface == "message":
        if r.id is None:
            fail(r.where, "a message routine needs id=CONSTANT")
        if not r.params or r.params[0].kind != "dest":
            fail(r.where, "a message routine's first parameter is its dest")
    for n in r.on:
        if n not in names:
            fail(r.where, "on(%s): no such parameter" % n)


# --- trace formats ----------------------------------------------------------------------------

CONV = re.compile(r"%([-#0 +]*)(\d*)(?:\.(\d+))?(hh|h|ll|l|z)?([diouxXs])")


def conv_cast(spec):
    """The cast that makes a value fit the conversion (kern_fmt is printf-checked)."""
    m = CONV.search(spec)
    if m is None:
        return None, 0
    flags, width, prec, length, c = m.groups()
    if c == "s":
        return "", int(prec) if prec else 32
    if length == "ll":
        return ("(long long)" if c in "di" else "(unsigned long long)"), 22
    if length == "z":
        return "(size_t)", 20
    return ("(int)" if c in "di" else "(unsigned)"), 12


def literal_len(spec):
    return len(CONV.sub("", spec).replace('\\"', '"'))


class Piece:
    """One traced item: text (kern_fmt format + its values) or a list appended element-wise."""
    def __init__(self, fmt, values, size, list_of=None):
        self.fmt, self.values, self.size, self.list_of = fmt, values, size, list_of


def trace_piece(p, value, count=None, where=None):
    t = p.trace
    if t == "-":
        return None
    if t in ("right", "msgt"):
        return Piece("%s", ["kern_%s_name(%s)" % (t, value)], 24)
    count_form = t.startswith("#")
    if count_form:
        t = t[1:]
    if not (len(t) >= 2 and t[0] == '"' and t[-1] == '"'):
        fail(p.where, "a trace is -, right, msgt, \"FORMAT\", #\"FORMAT\" (the count) or \"LABEL{%ELEMENT}\"")
    body = t[1:-1]
    lm = re.fullmatch(r'(.*)\{(%[^}]*)\}', body)
    if lm is not None:
        if not p.array:
            fail(p.where, "a {list} trace is for an array")
        label, elem = lm.groups()
        return Piece(label, [], literal_len(label), list_of=(elem, value, count))
    if p.array and not count_form:
        fail(p.where, "an array is traced as -, #\"FORMAT\" (its count) or \"LABEL{%u}\"")
    cast, size = conv_cast(body)
    if cast is None:
        fail(p.where, "trace \"%s\" has no conversion" % body)
    v = count if count_form else value
    return Piece(body, [cast + v], literal_len(body) + size)


def emit_trace(out, buf, pieces, indent):
    """Code that writes pieces, joined by ", ", into the array buf (already declared)."""
    if not pieces:
        return
    if all(pc.list_of is None for pc in pieces):
        fmt = ", ".join(pc.fmt for pc in pieces)
        vals = [v for pc in pieces for v in pc.values]
        out.append('%skern_fmt(%s, sizeof %s, "%s"%s);' % (indent, buf, buf, fmt,
                                                          "".join(", " + v for v in vals)))
        return
    out.append("%ssize_t %s_at = 0;" % (indent, buf))
    text, vals = "", []

    def flush():
        nonlocal text, vals
        if text:
            out.append('%sSTUB_APPEND(%s, sizeof %s, &%s_at, "%s"%s);'
                       % (indent, buf, buf, buf, text, "".join(", " + v for v in vals)))
        text, vals = "", []
    for i, pc in enumerate(pieces):
        text += (", " if i else "") + pc.fmt
        vals += pc.values
        if pc.list_of is not None:
            flush()
            elem, value, count = pc.list_of
            fn = {"%u": "stub_append_names", "%#x": "stub_append_ints",
                  "%d": "stub_append_decimal"}.get(elem)
            if fn is None:
                fail("trace", "a list's element is %u (names), %#x or %d (numbers), not " + elem)
            out.append("%s%s(%s, sizeof %s, &%s_at, %s, %s);"
                       % (indent, fn, buf, buf, buf, value, count))
    flush()


def trace_size(pieces):
    """Room for the longest text of the scalars; a trace with arrays is cut at 511 characters
    (the buffer the hand-written stubs had), an array being as long as its caller makes it."""
    if any(pc.list_of for pc in pieces):
        return 512
    return max(16, sum(pc.size + 2 for pc in pieces) + 1)


def zero(ctype):
    return "MACH_PORT_NULL" if ctype in ("mach_port_t", "mach_port_name_t") else "0"


# --- kernel routines --------------------------------------------------------------------------

def kernel_stub(r):
    params, model, discards, drops, outs_set, out_pieces, arg_pieces, locals_ = [], [], [], [], [], [], [], []
    ins = []
    for p in r.params:
        if p.dir == "buf":
            params.append("%s%s" % (p.ctype if p.ctype.endswith("*") else p.ctype + " ", p.name))
            model.append(p.name)
            continue
        if p.dir == "in":
            params.append("%s %s" % (p.ctype, p.name))
            ins.append(p.name)
            if p.kind == "poly":
                params.append("mach_msg_type_name_t %sPoly" % p.name)
                model += [p.name, p.name + "Poly"]
                discards.append("mk_request_discard(self, %s, %sPoly);" % (p.name, p.name))
                pc = trace_piece(p, p.name)
                if pc is not None:
                    arg_pieces.append(pc)
                    arg_pieces.append(Piece("%s", ["kern_msgt_name(%sPoly)" % p.name], 24))
                continue
            if p.kind == "port":
                model += [p.name, "MACH_MSG_TYPE_" + p.arg]
                discards.append("mk_request_discard(self, %s, MACH_MSG_TYPE_%s);" % (p.name, p.arg))
            else:
                model.append(p.name)
            pc = trace_piece(p, p.name)
            if pc is not None:
                arg_pieces.append(pc)
            continue
        # out
        local = "o_" + p.name
        if p.kind == "poly":
            params += ["%s *%s" % (p.ctype, p.name), "mach_msg_type_name_t *%sPoly" % p.name]
            locals_ += ["%s %s = MACH_PORT_NULL;" % (p.ctype, local),
                        "mach_msg_type_name_t %sPoly = 0;" % local]
            model += ["&" + local, "&%sPoly" % local]
            drops.append("kern_rpc_drop_reply_right(&r, %s, stub_poly_right(%sPoly));" % (local, local))
            outs_set += ["*%s = %s;" % (p.name, local), "*%sPoly = %sPoly;" % (p.name, local)]
            if p.trace != "-":
                out_pieces.append(Piece("%u %s", [local, "stub_poly_name(%sPoly)" % local], 40))
            continue
        params.append("%s *%s" % (p.ctype, p.name))
        locals_.append("%s %s = %s;" % (p.ctype, local, zero(p.ctype)))
        model.append("&" + local)
        if p.kind == "right":
            drops.append("kern_rpc_drop_reply_right(&r, %s, MACH_PORT_RIGHT_%s);" % (local, p.arg))
        outs_set.append("*%s = %s;" % (p.name, local))
        pc = trace_piece(p, local)
        if pc is not None:
            out_pieces.append(pc)

    fname = ("%s_rpc" if r.static else "__%s") % r.name
    o = []
    o.append("%skern_return_t %s(%s)" % ("static " if r.static else "", fname,
                                          ", ".join(params) or "void"))
    o.append("{")
    o.append("    kern_rpc r;")
    trap = "true" if r.trap else "false"
    if r.on:
        on = r.on + ["MACH_PORT_NULL"] * (2 - len(r.on))
        o.append('    kthread_t *self = kern_rpc_begin_on(&r, "%s", %s, %s, %s);'
                 % (r.name, trap, on[0], on[1]))
    else:
        o.append('    kthread_t *self = kern_rpc_begin(&r, "%s", %s);' % (r.name, trap))
    o.append("    kern_return_t kr;")
    if r.effect:
        o.append("    stub_hold hold = %s_before(self, %s);" % (r.effect, ins[0]))
    for l in locals_:
        o.append("    " + l)
    o.append("    if (r.fault == KF_SEND_FAILS) {")
    o.append("        kr = MACH_SEND_INVALID_DEST;")
    o.append("    } else if (r.fault == KF_ROUTINE_FAILS) {")
    for d in discards:
        o.append("        " + d)
    o.append("        kr = r.fault_error;")
    o.append("    } else {")
    call = "(self%s)" % "".join(", " + a for a in model)
    if r.shortcut:
        o.append("        kr = mk_trap_%s%s;" % (r.name, call))
        o.append("        if (kr == MACH_SEND_INTERRUPTED) {")
        o.append("            kern_rpc_fallback(&r);")
        o.append("            kr = mk_%s%s;" % (r.name, call))
        o.append("        }")
    else:
        o.append("        kr = mk_%s%s;" % (r.name, call))
    o.append("    }")
    if r.made:
        outs_locals = ["o_" + p.name for p in r.params if p.dir == "out"]
        o.append("    if (kr == KERN_SUCCESS)")
        o.append("        %s(self%s);" % (r.made, "".join(", " + a for a in ins + outs_locals)))
    o.append("    if (r.fault == KF_REPLY_LOST && kr == KERN_SUCCESS) {")
    for d in drops:
        o.append("        " + d)
    o.append("        kr = MIG_SERVER_DIED;")
    o.append("    }")
    o.append("    char args[%d], outs[%d] = \"\";" % (trace_size(arg_pieces), trace_size(out_pieces)))
    emit_trace(o, "args", arg_pieces, "    ")
    if outs_set:
        o.append("    if (kr == KERN_SUCCESS) {")
        for s in outs_set:
            o.append("        " + s)
        emit_trace(o, "outs", out_pieces, "        ")
        o.append("    }")
    if r.effect:
        o.append("    kern_rpc_end(&r, kr, args, outs);")
        o.append("    %s_after(hold, self, &r, kr);" % r.effect)
        o.append("    return kr;")
    else:
        o.append("    return kern_rpc_end(&r, kr, args, outs);")
    o.append("}")
    if not r.static:
        o.append("STUB_ALIAS(%s)" % r.name)
    return o


# --- message routines -------------------------------------------------------------------------

def message_stub(r):
    params, puts, gets, sets, locals_, arg_pieces, out_pieces, after_get = [], [], [], [], [], [], [], []
    size_terms, variable, complex_ = [], False, False
    dest, timeout = None, None
    for p in r.params:
        n, k = p.name, p.kind
        if p.dir == "in":
            if k == "dest":
                dest = n
                params.append("%s %s" % (p.ctype, n))
            elif k == "poly":
                params += ["%s %s" % (p.ctype, n), "mach_msg_type_name_t %sPoly" % n]
                puts.append("mig_put_port(&m, %s, %sPoly);" % (n, n))
            elif k == "port":
                params.append("%s %s" % (p.ctype, n))
                puts.append("mig_put_port(&m, %s, MACH_MSG_TYPE_%s);" % (n, p.arg))
            elif k in ("int32", "int64"):
                params.append("%s %s" % (p.ctype, n))
                puts.append("mig_put_%s(&m, (%s_t)%s);" % (k, k, n))
            elif k == "string":
                params.append("%s %s" % (p.ctype, n))
                puts.append("mig_put_bytes(&m, %s, (uint32_t)strlen(%s) + 1);" % (n, n))
            elif k == "waittime":
                params.append("%s %s" % (p.ctype, n))
                timeout = n
            else:  # arrays, inline or out of line (mig.h, EX20)
                params.append("%s *%s" % (p.ctype, n))
                if k == "ports":
                    params.append("mach_msg_type_name_t %sPoly" % n)
                params.append("mach_msg_type_number_t %sCnt" % n)
                puts.append({
                    "bytes": "mig_put_byte_array(&m, %s, %sCnt);" % (n, n),
                    "ports": "mig_put_ports(&m, %s, %sCnt, %sPoly);" % (n, n, n),
                    "ints": "mig_put_words(&m, MACH_MSG_TYPE_INTEGER_32, (const uint32_t *)%s, %sCnt);" % (n, n),
                    "names": "mig_put_words(&m, MACH_MSG_TYPE_PORT_NAME, %s, %sCnt);" % (n, n),
                }[k])
            pc = trace_piece(p, n, n + "Cnt")
            if pc is not None:
                arg_pieces.append(pc)
            continue
        # out: reply items in the order of the .defs
        local = "o_" + n
        if k in ARRAYS:
            params += ["%s **%s" % (p.ctype, n), "mach_msg_type_number_t *%sCnt" % n]
            gets.append('stub_get_%s(&m, "%s", %s, %sCnt)' % (k, r.name, n, n))
            variable = True
            complex_ |= k == "ports"
            pc = trace_piece(p, "*" + n, "*%sCnt" % n)
        elif k == "string":
            params.append("char *%s" % n)
            locals_ += ["char %s[1024];" % local, "uint32_t %s_len = 0;" % local]
            gets.append("mig_get_byte_array(&m, %s, sizeof %s - 1, &%s_len)" % (local, local, local))
            after_get.append("%s[%s_len] = 0;" % (local, local))
            sets.append("memcpy(%s, %s, %s_len + 1);" % (n, local, local))
            variable = True
            pc = trace_piece(p, local)
        else:
            params.append("%s *%s" % (p.ctype, n))
            if k == "port":
                locals_.append("mach_port_t %s = MACH_PORT_NULL;" % local)
                gets.append("mig_get_port(&m, &%s, NULL)" % local)
                size_terms.append("mig_port_item_size()")
                complex_ = True
                sets.append("*%s = %s;" % (n, local))
            elif k in ("int32", "int64"):
                locals_.append("%s_t %s = 0;" % (k, local))
                gets.append("mig_get_%s(&m, &%s)" % (k, local))
                size_terms.append("mig_item_size(%s, 1)" % k[3:])
                sets.append("*%s = (%s)%s;" % (n, p.ctype, local))
            else:  # struct: bytes of the C type; the caller may pass NULL for it
                locals_.append("%s %s;" % (p.ctype, local))
                gets.append("mig_get_bytes(&m, &%s, sizeof %s)" % (local, local))
                size_terms.append("mig_item_size(8, sizeof(%s))" % p.ctype)
                sets.append("if (%s != NULL)" % n)
                sets.append("    *%s = %s;" % (n, local))
            pc = trace_piece(p, local)
        if pc is not None:
            out_pieces.append(pc)
    reply_size = "0" if variable else " + ".join(["MIG_REPLY_SIZE"] + size_terms)
    o = []
    o.append("kern_return_t __%s(%s)" % (r.name, ", ".join(params)))
    o.append("{")
    o.append("    kern_rpc r;")
    o.append("    mig_msg_t m;")
    o.append('    kern_rpc_begin(&r, "%s", false);' % r.name)
    if r.intr:
        o.append("    r.intr = true; /* an INTR_INTERFACE (H11) */")
    o.append("    mig_request_init(&m, %s, %s);" % (dest, r.id))
    for pu in puts:
        o.append("    " + pu)
    o.append("    char args[%d];" % trace_size(arg_pieces))
    emit_trace(o, "args", arg_pieces, "    ")
    if timeout is not None:
        o.append("    kern_return_t kr = mig_rpc_ex(&r, &m, %s, %s, true, %s);"
                 % (reply_size, "true" if complex_ else "false", timeout))
    else:
        o.append("    kern_return_t kr = mig_rpc(&r, &m, %s, %s);"
                 % (reply_size, "true" if complex_ else "false"))
    for l in locals_:
        o.append("    " + l)
    if gets:
        o.append("    if (kr == KERN_SUCCESS &&")
        o.append("        !(%s))" % " &&\n          ".join(gets))
        o.append("        kr = MIG_TYPE_ERROR;")
    for a in after_get:
        o.append("    " + a)
    o.append('    char outs[%d] = "";' % trace_size(out_pieces))
    if sets or out_pieces:
        o.append("    if (kr == KERN_SUCCESS) {")
        for s in sets:
            o.append("        " + s)
        emit_trace(o, "outs", out_pieces, "        ")
        o.append("    }")
    o.append("    return kern_rpc_end(&r, kr, args, outs);")
    o.append("}")
    return o


def main():
    if len(sys.argv) != 2:
        fail("stubgen", "usage: tools/stubgen.py TABLE > OUT.c")
    interface, routines = parse(sys.argv[1])
    out = ["/* Generated by tools/stubgen.py from %s: edit the table, not this file. */" % sys.argv[1]]
    for r in routines:
        out.append("")
        out += kernel_stub(r) if interface == "kernel" else message_stub(r)
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
