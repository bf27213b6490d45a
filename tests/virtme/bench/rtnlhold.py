#!/usr/bin/env python3
"""How long RTNL was held, from the function tracer (ftrace).

    rtnlhold.py start PID     trace RTNL taken and released by PID and its children
    rtnlhold.py stop CHANGES  stop; print "<us held per change> <longest hold us> <holds>"

A hold runs from `rtnl_lock()` to `__rtnl_unlock()` in the same task
(`rtnl_unlock()` releases the mutex in `__rtnl_unlock()`, before running
the unregistration work it queued). rtnetlink's own requests take the
lock inside `rtnetlink_rcv_msg()`, where the compiler inlines
`rtnl_lock()`: for them the hold is timed from that function's entry (a
few checks early), the latest start before each release counting. Only the tasks of the benchmark are
traced, so RTNL taken by workers (link watch, a driver's works) is not
counted. Needs CONFIG_FUNCTION_TRACER.
"""
import os
import re
import sys

T = "/sys/kernel/tracing"
LINE = re.compile(r"-(\d+)\s+\[\d+\].*?\s([\d.]+): (rtnl_lock|rtnetlink_rcv_msg|__rtnl_unlock)\b")


def put(name, value):
    with open(os.path.join(T, name), "w") as f:
        f.write(value)


def start(pid):
    if not os.path.exists(os.path.join(T, "trace")):
        os.system(f"mount -t tracefs nodev {T}")
    put("tracing_on", "0")
    put("current_tracer", "nop")
    put("buffer_size_kb", "16384")
    put("set_ftrace_filter", "rtnl_lock rtnetlink_rcv_msg __rtnl_unlock")
    put("options/function-fork", "1")
    put("set_ftrace_pid", pid)
    put("trace", "")
    put("current_tracer", "function")
    put("tracing_on", "1")


def stop(changes):
    put("tracing_on", "0")
    with open(os.path.join(T, "trace")) as f:
        text = f.read()
    put("current_tracer", "nop")
    put("set_ftrace_pid", "")
    if "LOST" in text:
        sys.exit("rtnlhold: the trace buffer overflowed")
    locked = {}
    holds = []
    for m in LINE.finditer(text):
        pid, ts, fn = m.group(1), float(m.group(2)), m.group(3)
        if fn != "__rtnl_unlock":
            locked[pid] = ts
        elif pid in locked:
            holds.append(ts - locked.pop(pid))
    if not holds:
        sys.exit("rtnlhold: no RTNL hold traced")
    total = sum(holds) * 1e6
    print(f"{total / changes:.1f} {max(holds) * 1e6:.1f} {len(holds)}")


if __name__ == "__main__":
    if sys.argv[1] == "start":
        start(sys.argv[2])
    else:
        stop(int(sys.argv[2]))
