#!/usr/bin/python3
"""Checks docs/netlink/ipmp.yaml, the YNL spec of ipmp.ko's generic netlink
family, against the module's own source and the kernel's tooling:

- the kernel's JSON schema for genetlink specs
  (Documentation/netlink/genetlink.yaml) accepts it, and the kernel's YNL
  library (tools/net/ynl/lib) loads it;
- family name, version-independent command numbers, attribute numbers,
  the multicast group and every enum and flag value match kmod/uapi.rs;
- every attribute's type matches what the module writes (the writer calls
  of kmod/genl_msgs.rs) and what its input policy accepts
  (kmod/genl_family.rs);
- the iproute2 plugin (tools/iproute2/link_ipmp.c) numbers the rtnetlink
  attributes (IFLA_IPMP_*, IFLA_IPMP_SLAVE_*) and uses the limits and
  nominee bits as kmod/uapi.rs does.

Usage: tests/netlink/check-spec.py KERNEL_SOURCE_DIR
"""

import re
import sys
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "docs/netlink/ipmp.yaml"

failures = []


def check(cond, what):
    if cond:
        print(f"ok: {what}")
    else:
        print(f"FAIL: {what}")
        failures.append(what)


def const_name(name):
    return name.upper().replace("-", "_")


def uapi_constants():
    """`pub const NAME: T = VALUE;` of kmod/uapi.rs (ints and strings)."""
    text = (ROOT / "kmod/uapi.rs").read_text()
    consts = {}
    for name, value in re.findall(r"pub const (\w+): [\w&' ]+ =\s*([^;]+);", text):
        value = value.strip()
        shift = re.fullmatch(r"1 << (\d+)", value)
        if shift:
            consts[name] = 1 << int(shift.group(1))
        elif re.fullmatch(r"[\d_]+", value):
            consts[name] = int(value.replace("_", ""))
        elif value.startswith('"'):
            consts[name] = value.strip('"')
    return consts


def kernel_types():
    """Attribute constant -> type, from what the module writes and what its
    input policy accepts."""
    writes = {}
    text = (ROOT / "kmod/genl_msgs.rs").read_text()
    kinds = {"u8": "u8", "u32": "u32", "u64": "u64", "string": "string", "addr": "binary", "nest": "nest"}
    for call, attr in re.findall(r"\bw\.(u8|u32|u64|string|addr|nest)\(\s*(A_\w+)", text):
        writes.setdefault(attr, set()).add(kinds[call])
    accepts = {}
    text = (ROOT / "kmod/genl_family.rs").read_text()
    policy = {"NLA_U8": "u8", "NLA_U32": "u32", "NLA_NUL_STRING": "string"}
    for attr, kind in re.findall(r"p\[(A_\w+) as usize\] = policy\(raw::(\w+)", text):
        if kind in policy:
            accepts[attr] = policy[kind]
    return writes, accepts


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    ksrc = Path(sys.argv[1])
    spec = yaml.safe_load(SPEC.read_text())
    schema = yaml.safe_load((ksrc / "Documentation/netlink/genetlink.yaml").read_text())
    try:
        jsonschema.validate(spec, schema)
        check(True, "the kernel's genetlink schema accepts the spec")
    except jsonschema.ValidationError as e:
        check(False, f"the kernel's genetlink schema accepts the spec: {e.message}")

    sys.path.insert(0, str(ksrc / "tools/net/ynl"))
    from lib import SpecFamily  # the kernel's YNL library

    family = SpecFamily(str(SPEC), str(ksrc / "Documentation/netlink/genetlink.yaml"))
    check(family.name == "ipmp", "YNL loads the spec")

    c = uapi_constants()
    check(spec["name"] == c["GENL_NAME"], f"family name {spec['name']}")
    groups = [g["name"] for g in spec["mcast-groups"]["list"]]
    check(groups == [c["GENL_MCGRP_EVENTS"]], f"multicast groups {groups}")

    ops = spec["operations"]["list"]
    cmds = {k: v for k, v in c.items() if k.startswith("CMD_")}
    check(len(ops) == len(cmds), f"{len(ops)} operations for {len(cmds)} commands")
    for i, op in enumerate(ops, start=1):
        check(cmds.get("CMD_" + const_name(op["name"])) == i, f"operation {op['name']} is command {i}")
        check(family.msgs[op["name"]].value == i, f"YNL numbers {op['name']} {i}")

    writes, accepts = kernel_types()
    main_set = next(s for s in spec["attribute-sets"] if s["name"] == "ipmp")
    attrs = {k: v for k, v in c.items() if k.startswith("A_") and k != "A_MAX"}
    check(len(main_set["attributes"]) == len(attrs), f"{len(main_set['attributes'])} attributes for {len(attrs)}")
    value = 0
    for a in main_set["attributes"]:
        value = a.get("value", value + 1)
        const = "A_" + const_name(a["name"])
        check(attrs.get(const) == value, f"attribute {a['name']} is {const} = {value}")
        if a["type"] == "pad":
            continue
        written = writes.get(const, set())
        check(not written or written == {a["type"]}, f"{a['name']}: the module writes {sorted(written)}, the spec says {a['type']}")
        if const in accepts:
            check(accepts[const] == a["type"], f"{a['name']}: the policy accepts {accepts[const]}, the spec says {a['type']}")
        check(bool(written) or const in accepts, f"{a['name']} is written or accepted by the module")
    check(c["A_MAX"] == value, f"A_MAX = {value}")
    for s in spec["attribute-sets"]:
        for a in s["attributes"]:
            if "value" in a and s["name"] != "ipmp":
                check(attrs.get("A_" + const_name(a["name"])) == a["value"], f"{s['name']}.{a['name']} = {a['value']}")

    prefixes = {"member-flags": "MEMBER_F_", "nominee": "NOMINEE_", "policy": "POLICY_", "group-state": "GROUP_STATE_", "event": "EVENT_"}
    for d in spec["definitions"]:
        if d["type"] == "const":
            check(c.get(const_name(d["name"])) == d["value"], f"{d['name']} = {d['value']}")
            continue
        prefix = prefixes[d["name"]]
        known = {k for k in c if k.startswith(prefix) and k not in ("MEMBER_F_ALL",)}
        check(len(d["entries"]) == len(known), f"{d['name']}: {len(d['entries'])} entries for {sorted(known)}")
        for i, e in enumerate(d["entries"]):
            v = (1 << i) if d["type"] == "flags" else d.get("value-start", 0) + i
            check(c.get(prefix + const_name(e["name"])) == v, f"{d['name']} {e['name']} = {v}")

    check_plugin(c)

    if failures:
        sys.exit(f"{len(failures)} failure(s)")
    print("the spec and the iproute2 plugin match the module")


def check_plugin(c):
    """The C enums and defines of the iproute2 plugin against kmod/uapi.rs."""
    text = (ROOT / "tools/iproute2/link_ipmp.c").read_text()
    for prefix in ("IFLA_IPMP_", "IFLA_IPMP_SLAVE_"):
        body = re.search(r"enum \{\s*(" + prefix + r"UNSPEC,[^}]*)\}", text)
        check(body is not None, f"plugin: an enum of {prefix}*")
        names = [n.strip() for n in body.group(1).split(",") if n.strip()]
        plugin = {n: i for i, n in enumerate(names) if not n.startswith("__")}
        plugin[prefix + "MAX"] = len(names) - 2
        module = {k: v for k, v in c.items()
                  if k.startswith(prefix) and (prefix == "IFLA_IPMP_SLAVE_" or not k.startswith("IFLA_IPMP_SLAVE_"))}
        plugin.pop(prefix + "UNSPEC")
        check(plugin == module, f"plugin: {prefix}* numbered as the module ({len(module)} names)")
    for name in ("GROUP_NAME_MAX", "ANNOUNCE_COUNT_MAX", "ANNOUNCE_INTERVAL_MAX"):
        m = re.search(r"#define " + name + r" (\d+)", text)
        check(m is not None and int(m.group(1)) == c[name], f"plugin: {name} = {c[name]}")
    for name in ("NOMINEE_V4_MULTICAST", "NOMINEE_V4_BROADCAST", "NOMINEE_V6_MULTICAST"):
        m = re.search(r"#define " + name + r" \(1u << (\d+)\)", text)
        check(m is not None and 1 << int(m.group(1)) == c[name], f"plugin: {name} = {c[name]}")


main()
