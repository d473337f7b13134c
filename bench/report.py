#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""pvio benchmark report: reads the console of a bench or run scenario
(tests/scenarios/bench.sh) and makes the table, the JSON, the chart.

  report.py live --mode run|bench [--out PREFIX] [--vm-status-file F]
      filter the console on stdin: pass every line through except the raw
      JSON blocks, print one progress line per run, print the table (and
      the Dynamic-irq lines and pvctl top -b) when the guest says it is
      done, and at the end write PREFIX.json (+ .md, .png with --chart)
  report.py log --mode run|bench FILE [--out PREFIX] [--chart]
      the same from a saved console log, without the pass-through
  report.py json FILE [--out PREFIX] [--chart]
      the table again from a saved PREFIX.json (e.g. bench/results/
      latest.json): the figures it holds, its date, host and commit; with
      --out, PREFIX.md (+ .png) and a copy of the JSON as it is
  report.py publish FILE [--results DIR] [--readme README.md] [--commit C]
      FILE (a complete bench run's JSON, with its .md and .png beside it)
      becomes DIR/latest.{json,md,png}, a row of DIR/history.md and the
      README's bench-latest block; a profiled run's .md becomes
      DIR/latest-profile.md (BENCH_PROFILE=graph: latest-profile-graph.md)
      and nothing else changes

Everything is computed here, on the host: the guest has no python.
Ratios are split-driver (pvio) over native, from the same boot; with
several rounds, the median of the per-round ratios with min and max.
Only stdlib; the chart is drawn by gnuplot (gnuplot-nox).
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys

# ---- what is measured ----------------------------------------------------

# wl -> (title, kind, metric key, unit, higher is better, goal)
# goal: ("ge", x) ratio >= x; ("le", x) ratio <= x; None: reported only.
ROWS = [
    ("rr4k", "4k randread QD32", "blk", "iops", "IOPS", True, ("ge", 0.90)),
    ("rr4k2", "4k randread QD32 x2 jobs", "blk", "iops", "IOPS", True, ("ge", 0.90)),
    ("rw4k", "4k randwrite QD32", "blk", "iops", "IOPS", True, ("ge", 0.90)),
    ("lat", "4k randread QD1 p50", "blk", "p50", "us", False, ("le", 3.0)),
    ("lat", "4k randread QD1 p99", "blk", "p99", "us", False, None),
    # io_uring --hipri; pvio's on a disk with a poll queue (poll_queues=1),
    # the others as they are (a device without poll queues completes by
    # interrupt while fio polls).
    ("latpoll", "4k randread QD1 p50, polled", "blk", "p50", "us", False, ("le", 1.5)),
    ("latpoll", "4k randread QD1 p99, polled", "blk", "p99", "us", False, None),
    ("sr1m", "1M seq read QD8", "blk", "mbs", "MB/s", True, ("ge", 0.95)),
    ("sw1m", "1M seq write QD8", "blk", "mbs", "MB/s", True, ("ge", 0.95)),
    ("tcp1", "TCP 1 stream", "net", "gbps", "Gbit/s", True, ("ge", 0.90)),
    ("tcp4", "TCP -P 4", "net", "gbps", "Gbit/s", True, ("ge", 0.95)),
    ("tcpR", "TCP -R (guest RX)", "net", "gbps", "Gbit/s", True, ("ge", 0.90)),
    ("tcp4R", "TCP -P 4 -R (guest RX)", "net", "gbps", "Gbit/s", True, None),
    # As fast as the sender can: the receiver's socket overflows (drops
    # per run are printed below the table).
    ("udp64", "UDP 64-byte", "net", "kpps", "kpps", True, None),
    # At a fixed offered rate (BENCH_UDP_PPS): delivery, not overflow. Its
    # goal also wants the dom0 socket to drop no more than over veth.
    ("udp64r", "UDP 64-byte, fixed rate", "net", "kpps", "kpps", True, ("ge", 0.80)),
    # Under a limit (BENCH_RATE_MBIT, 100 Mbit/s): pvio's vif rate against
    # tbf on veth. Its goal is pvio's goodput over the limit, not over
    # native: within 5% (issue #15 item 5).
    ("tcprate", "TCP 1 stream, rate limit", "net", "gbps", "Gbit/s", True, ("near", 0.95, 1.05)),
    # Out of a NIC (virtio-net with TSO on a tap, to an iperf3 on the
    # machine running QEMU), bridged with a second vif (pvio) or a veth
    # (native): dom0's stack sends guest TX's mapped fragments without a
    # copy (issue #15 item 1). No goal of its own: the NIC's path through
    # QEMU bounds both.
    ("tcpnic", "TCP 1 stream out of a NIC", "net", "gbps", "Gbit/s", True, None),
]
# CPU per I/O or per GB, pvio over native, by kind (issues #14 and #15).
CPU_GOALS = {"blk": ("le", 1.3), "net": ("le", 1.2)}
# The receiver's counter of drops at its UDP socket (the udp rows' goal).
SOCKET_DROPS = "RcvbufErrors"
# Workloads the UML domU does not run (its xvda has no poll queue), for a
# log older than the guest's own list (PVIO-BENCH-META uml_wl=).
UML_SKIPS = ("latpoll",)
PATHS = {"blk": ("native", "pvio"), "net": ("native", "pvio")}
# The block peers a user could pick instead of a split driver (each over a
# ramdisk of its own, in the same boot): path -> title. pvio's goal: ahead
# of NVMe/TCP and NBD on every row.
PEERS = [("dmlinear", "dm-linear"), ("nvmetcp", "NVMe/TCP"), ("nbd", "NBD")]
PEERS_TO_BEAT = ("nvmetcp", "nbd")
PATH_NAMES = {
    ("blk", "native"): "backing device",
    ("blk", "pvio"): "/dev/xvda",
    ("net", "native"): "veth",
    ("net", "pvio"): "vif",
    ("blk", "dmlinear"): "dm-linear",
    ("blk", "nvmetcp"): "NVMe/TCP",
    ("blk", "nbd"): "NBD",
    ("blk", "uml"): "UML domU xvda",
    ("net", "uml"): "UML domU vif",
}
KIND_OF = {r[0]: r[2] for r in ROWS}

KMSG = re.compile(r"^\[\s*\d+\.\d+\]")


def strip(line):
    return line.rstrip("\r\n").replace("\r", "")


# ---- console parsing -------------------------------------------------------


class Console:
    """State built from the console lines, one at a time."""

    def __init__(self):
        self.meta = {}
        self.na = {}  # (kind, path) -> reason
        self.netdevs = []
        self.drops = {}  # (wl, path) -> [{counter: increase}], one a round
        self.runs = []
        self.texts = {}
        self.done = None  # None until PVIO-BENCH-DONE
        self.cur = None  # the run being read
        self.text = None  # the text block being read
        self.exit = None  # PVIO-EXIT
        self.tap = []  # ok / not ok lines
        # From a saved JSON: its host, date and commit (None: this run's).
        self.host = None
        self.date = None
        self.commit = None

    def feed(self, line):
        """Returns (event, obj): ("run-start", run), ("run-end", run),
        ("done", None), ("pass", None) for a line to show, or ("hide", None)."""
        if self.cur is not None:
            if line.startswith("PVIO-BENCH-END"):
                m = re.match(r"PVIO-BENCH-END rc=(-?\d+) ?(.*)", line)
                r = self.cur
                r["rc"] = int(m.group(1)) if m else -1
                r["error"] = (m.group(2) if m else line).strip()
                text = "\n".join(r.pop("_json"))
                r["raw"] = None
                if text.strip():
                    try:
                        r["raw"] = json.loads(text)
                    except ValueError as e:
                        r["rc"] = r["rc"] or -1
                        r["error"] = (r["error"] + " unparsable JSON: %s" % e).strip()
                derive(r, self.meta)
                self.cur = None
                return "run-end", r
            if line.startswith("PVIO-BENCH-RUN") or line.startswith("PVIO-EXIT"):
                # The block never ended: the guest died in the middle.
                self.cur["rc"] = -1
                self.cur["error"] = "the run did not finish (guest stopped)"
                self.cur.pop("_json", None)
                self.cur["raw"] = None
                self.cur = None
                return self.feed(line)
            if line.startswith("@win "):
                self.cur["_win"].append(line[5:])
            elif line.startswith("@json"):
                self.cur["_injson"] = True
            elif self.cur.get("_injson"):
                if KMSG.match(line):
                    return "pass", None  # a kernel message, not JSON
                self.cur["_json"].append(line)
            else:
                return "pass", None
            return "hide", None
        if self.text is not None:
            if line.startswith("PVIO-BENCH-"):
                self.text = None
                if line.startswith("PVIO-BENCH-TEXT end"):
                    return "hide", None
            else:
                self.texts[self.text].append(line)
                return "hide", None
        if line.startswith("PVIO-BENCH-META "):
            for kv in line.split()[1:]:
                k, _, v = kv.partition("=")
                self.meta[k] = v.replace("_", " ") if k == "cpu" else v
            return "hide", None
        if line.startswith("PVIO-BENCH-NA "):
            m = re.match(r"PVIO-BENCH-NA path=(\S+) kind=(\S+) (.*)", line)
            if m:
                self.na[(m.group(2), m.group(1))] = m.group(3)
            return "hide", None
        if line.startswith("PVIO-BENCH-NETDEV "):
            self.netdevs.append(line.split(" ", 1)[1])
            return "hide", None
        if line.startswith("PVIO-BENCH-RUN "):
            r = {"_win": [], "_json": []}
            for kv in line.split()[1:]:
                k, _, v = kv.partition("=")
                r[k] = int(v) if k in ("rep", "n") else v
            self.runs.append(r)
            self.cur = r
            return "run-start", r
        if line.startswith("PVIO-BENCH-TEXT "):
            self.text = line.split()[1]
            self.texts[self.text] = []
            return "hide", None
        if line.startswith("PVIO-BENCH-DONE"):
            m = re.search(r"failed=(\d+)", line)
            self.done = int(m.group(1)) if m else 0
            return "done", None
        if line.startswith("PVIO-EXIT:"):
            try:
                self.exit = int(line.split(":")[1])
            except ValueError:
                self.exit = -1
        if re.match(r"^(not )?ok \d+ ", line):
            self.tap.append(line)
        m = re.match(r"^# (udp\S+) (\S+) round \d+ drops:(.*)", line)
        if m:
            f = m.group(3).split()
            try:
                d = {f[i]: int(f[i + 1]) for i in range(0, len(f) - 1, 2)}
                self.drops.setdefault((m.group(1), m.group(2)), []).append(d)
            except ValueError:
                pass
        return "pass", None


# ---- one run's figures -----------------------------------------------------


def parse_win(s):
    """'up | cpu user nice ... | hc mc gm gc es ed | ios | irqs'"""
    parts = [p.split() for p in s.split("|")]
    try:
        cpu = [int(x) for x in parts[1][1:]]
        return {
            "uptime": float(parts[0][0]),
            "cpu": cpu,
            "ctr": [int(x) for x in parts[2]],
            "ios": int(parts[3][0]),
            "bytes": int(parts[3][1]) if len(parts[3]) > 1 else 0,
            "irqs": int(parts[4][0]),
        }
    except (IndexError, ValueError):
        return None


def derive(r, meta):
    """Adds r["m"]: the run's metrics, and r["window"]: its CPU and counters
    over the measuring window."""
    m = {}
    raw = r.get("raw")
    wl = r.get("wl")
    kind = KIND_OF.get(wl)
    try:
        if raw and kind == "blk":
            job = raw["jobs"][0]
            d = job["write"] if wl in ("rw4k", "sw1m") else job["read"]
            m["iops"] = float(d["iops"])
            m["mbs"] = float(d["bw_bytes"]) / 1e6
            pct = d.get("clat_ns", {}).get("percentile", {})
            if "50.000000" in pct:
                m["p50"] = pct["50.000000"] / 1000.0
                m["p99"] = pct["99.000000"] / 1000.0
            m["fio_usr_sys"] = [job.get("usr_cpu"), job.get("sys_cpu")]
            if m["iops"] <= 0:
                raise ValueError("no I/O completed")
        elif raw and kind == "net":
            if raw.get("error"):
                raise ValueError(raw["error"])
            end = raw["end"]
            if wl.startswith("udp"):
                # Received packets = the receiver's bytes over the datagram
                # size. iperf3's lost_packets comes from sequence numbers
                # that --omit does not reset (its packet and byte counters
                # are): after an omitted second it can exceed the packets
                # sent, and packets - lost goes negative.
                sent, rcvd = end["sum_sent"], end["sum_received"]
                blk = raw["start"]["test_start"]["blksize"]
                secs = rcvd.get("seconds") or 1
                rx = rcvd["bytes"] / blk
                if rx <= 0:
                    raise ValueError("no UDP datagram received")
                m["kpps"] = rx / secs / 1000.0
                m["lost_pct"] = max(0.0, 100.0 * (1 - rx / sent["packets"])) if sent.get("packets") else None
                m["bytes_per_s"] = rcvd["bytes"] / secs
                m["gbps"] = m["bytes_per_s"] * 8 / 1e9
            else:
                m["gbps"] = end["sum_received"]["bits_per_second"] / 1e9
                m["bytes_per_s"] = end["sum_received"]["bits_per_second"] / 8
                m["retransmits"] = end.get("sum_sent", {}).get("retransmits")
            m["iperf_cpu"] = end.get("cpu_utilization_percent")
    except (KeyError, IndexError, TypeError, ValueError, ZeroDivisionError) as e:
        if r.get("rc", 0) == 0:
            r["rc"] = -1
        r["error"] = ("%s no result in the output: %s" % (r.get("error") or "", e)).strip()
        m = {}
    w = [parse_win(x) for x in r.pop("_win", [])]
    r.pop("_injson", None)
    win = {}
    if len(w) == 2 and w[0] and w[1]:
        a, b = w
        dt = b["uptime"] - a["uptime"]
        dc = [y - x for x, y in zip(a["cpu"], b["cpu"])]
        total = sum(dc[:8])
        idle = dc[3] + dc[4]
        vcpus = int(meta.get("vcpus", 1) or 1)
        if dt > 0 and total > 0:
            win["seconds"] = dt
            win["busy_vcpus"] = (total - idle) / total * vcpus
            win["sys_share"] = (dc[2] + dc[5] + dc[6]) / total * vcpus
            names = ["hypercalls", "mc_entries", "grant_maps", "grant_copies",
                     "events_sent", "events_delivered"]
            for i, n in enumerate(names):
                win[n + "_per_s"] = (b["ctr"][i] - a["ctr"][i]) / dt
            win["dev_ios_per_s"] = (b["ios"] - a["ios"]) / dt
            win["dev_bytes_per_s"] = (b["bytes"] - a["bytes"]) / dt
            win["dyn_irqs_per_s"] = (b["irqs"] - a["irqs"]) / dt
    r["window"] = win
    # CPU per I/O or per GB: the window's busy vCPUs over the rate fio or
    # iperf3 measured (the same for both paths: brd keeps no disk stats).
    # pvio counters per I/O: over the I/Os the device moved in the window
    # (block: bytes / block size, whatever the splitting; network: packets
    # at the server-side device).
    if m and win:
        busy = win["busy_vcpus"]
        m["busy_vcpus"] = busy
        unit = None
        if kind == "blk":
            m["cpu_per_io_us"] = busy / m["iops"] * 1e6
            if m.get("mbs"):
                m["cpu_s_per_gb"] = busy / (m["mbs"] / 1000.0)
            bs = 4096 if wl in ("rr4k", "rr4k2", "rw4k", "lat", "latpoll") else 1 << 20
            if win["dev_bytes_per_s"] > 0:
                unit = win["dev_bytes_per_s"] / bs
                m["requests_per_io"] = win["dev_ios_per_s"] / unit
        else:
            if m.get("bytes_per_s"):
                m["cpu_s_per_gb"] = busy / (m["bytes_per_s"] / 1e9)
            if wl.startswith("udp") and m.get("kpps"):
                m["cpu_per_io_us"] = busy / (m["kpps"] * 1000) * 1e6
            if win["dev_ios_per_s"] > 0:
                unit = win["dev_ios_per_s"]
        if unit:
            m["io_per_s_window"] = unit
            m["hypercalls_per_io"] = win["hypercalls_per_s"] / unit
            m["mc_entries_per_io"] = win["mc_entries_per_s"] / unit
            m["events_per_io"] = win["events_sent_per_s"] / unit
            m["dyn_irqs_per_io"] = win["dyn_irqs_per_s"] / unit
            m["grant_ops_per_io"] = (win["grant_maps_per_s"] + win["grant_copies_per_s"]) / unit
    r["m"] = m


def progress(r):
    m = r.get("m") or {}
    if r.get("rc"):
        return "FAILED (%s)" % (r.get("error") or "rc %s" % r.get("rc"))
    wl = r["wl"]
    if wl in ("lat", "latpoll"):
        s = "p50 %.0f us, p99 %.0f us" % (m.get("p50", 0), m.get("p99", 0))
    elif KIND_OF.get(wl) == "blk":
        s = "%s IOPS, %.0f MB/s" % (fmt_num(m["iops"]), m["mbs"])
    elif wl.startswith("udp"):
        s = "%.1f kpps received" % m["kpps"]
    else:
        s = "%.2f Gbit/s" % m["gbps"]
    if "busy_vcpus" in m:
        s += ", %.2f vCPUs busy" % m["busy_vcpus"]
    return s


# ---- aggregation -------------------------------------------------------------


def fmt_num(x):
    if x is None:
        return "-"
    if x >= 100000:
        return "%.0fk" % (x / 1000)
    if x >= 10000:
        return "%.1fk" % (x / 1000)
    if x >= 100:
        return "%.0f" % x
    if x >= 10:
        return "%.1f" % x
    return "%.2f" % x


def stats(v):
    v = [x for x in v if x is not None]
    if not v:
        return None
    return {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v)}


def goal_met(goal, x):
    if goal is None or x is None:
        return None
    if goal[0] == "near":
        return goal[1] <= x <= goal[2]
    return x >= goal[1] if goal[0] == "ge" else x <= goal[1]


def goal_text(goal):
    if goal is None:
        return "-"
    if goal["op"] == "near":
        return "%.2f-%.2f of the limit" % (goal["ratio"], goal["max"])
    return ("%s %.2f" % (">=" if goal["op"] == "ge" else "<=", goal["ratio"])).replace(".00", "")


def limit_gbps(meta):
    """tcprate's limit in Gbit/s (the run's rate_mbit)."""
    try:
        return float(meta.get("rate_mbit", "100")) / 1000
    except ValueError:
        return None


def aggregate(con):
    """The result rows, for the workloads this mode ran."""
    wls = (con.meta.get("blk_wl", "").split(",") + con.meta.get("net_wl", "").split(","))
    wls = [w for w in wls if w]
    out = []
    for wl, title, kind, key, unit, higher, goal in ROWS:
        if wl not in wls:
            continue
        row = {"id": wl + ("" if key not in ("p50", "p99") else "_" + key),
               "workload": wl, "title": title, "kind": kind, "metric": key,
               "unit": unit, "higher_is_better": higher,
               "goal": goal and dict(zip(("op", "ratio", "max"), goal)),
               "cpu_goal": {"op": CPU_GOALS[kind][0], "ratio": CPU_GOALS[kind][1]}}
        per = {}
        cpukey = "cpu_per_io_us" if kind == "blk" or wl.startswith("udp") else "cpu_s_per_gb"
        row["cpu_metric"] = cpukey
        for path in ("native", "pvio"):
            row[path], per[path] = path_cell(con, wl, kind, key, path)
        row["ratio"], row["cpu_ratio"] = ratios(per, "pvio", key, cpukey)
        if kind == "blk" and any(p in con.meta.get("peers", "").split(",") for p, _ in PEERS):
            row["peers"] = {}
            for p, _ in PEERS:
                cell, per[p] = path_cell(con, wl, kind, key, p)
                cell["ratio"], cell["cpu_ratio"] = ratios(per, p, key, cpukey)
                pv, ov = row["pvio"].get("value"), cell.get("value")
                if pv and ov:
                    cell["pvio_ahead"] = (pv["median"] > ov["median"]) == higher
                row["peers"][p] = cell
            ahead = [row["peers"][p].get("pvio_ahead") for p in PEERS_TO_BEAT]
            row["ahead_of_peers"] = None if None in ahead else all(ahead)
        if has_uml(con) and wl in uml_runs(con.meta, kind + "_wl"):
            # The UML domU (docs/uml-domu.md): the same workload from a
            # separate kernel's frontends; over native and over the
            # in-kernel domU (pvio), per round.
            cell, per["uml"] = path_cell(con, wl, kind, key, "uml")
            cell["ratio"], cell["cpu_ratio"] = ratios(per, "uml", key, cpukey)
            reps = sorted(set(per["pvio"]) & set(per["uml"]))
            cell["vs_pvio"] = stats([per["uml"][i]["m"][key] / per["pvio"][i]["m"][key]
                                     for i in reps if per["pvio"][i]["m"][key]])
            row["uml"] = cell
        if goal and goal[0] == "near":
            # pvio's goodput over the limit, per round
            lim = limit_gbps(con.meta)
            row["limit"] = lim and {"gbps": lim}
            for path in ("pvio", "native") if lim else ():
                row["limit"][path + "_over_limit"] = stats(
                    [r["m"][key] / lim for r in per[path].values()
                     if r["m"].get(key) is not None])
            x = row["limit"] and row["limit"]["pvio_over_limit"]
            row["goal_met"] = goal_met(goal, x and x["median"])
        else:
            row["goal_met"] = goal_met(goal, row["ratio"] and row["ratio"]["median"])
        if wl.startswith("udp"):
            row["drops"] = {p: drop_medians(con, wl, p) for p in ("native", "pvio")}
            a = row["drops"]["native"].get(SOCKET_DROPS)
            b = row["drops"]["pvio"].get(SOCKET_DROPS)
            row["socket_drops_ok"] = None if a is None or b is None else b <= a
            if goal and row["goal_met"] and row["socket_drops_ok"] is not None:
                row["goal_met"] = row["socket_drops_ok"]
        row["cpu_goal_met"] = goal_met(CPU_GOALS[kind], row["cpu_ratio"] and row["cpu_ratio"]["median"])
        out.append(row)
    return out


def drop_medians(con, wl, path):
    """Each drop counter's median increase over @path's @wl runs."""
    per = {}
    for d in con.drops.get((wl, path), []):
        for k, v in d.items():
            per.setdefault(k, []).append(v)
    return {k: sorted(v)[len(v) // 2] for k, v in per.items()}


def uml_runs(meta, key):
    """The workloads of @key (blk_wl, net_wl) the UML domU runs."""
    wls = [w for w in meta.get(key, "").split(",") if w]
    if "uml_wl" in meta:
        return [w for w in wls if w in meta["uml_wl"].split(",")]
    return [w for w in wls if w not in UML_SKIPS]


def has_uml(con):
    """The run had a UML domU (its runs, or the reason it had none)."""
    return any(r.get("path") == "uml" for r in con.runs) or any(
        p == "uml" for _, p in con.na)


def path_cell(con, wl, kind, key, path):
    """One path's cell of a row, and its good runs by round."""
    runs = [r for r in con.runs if r.get("wl") == wl and r.get("path") == path]
    ok = [r for r in runs if not r.get("rc") and r.get("m", {}).get(key) is not None]
    cell = {"runs": len(runs), "ok": len(ok)}
    if (kind, path) in con.na:
        cell["na"] = con.na[(kind, path)]
    elif (kind + ":" + wl, path) in con.na:	# one workload's path only
        cell["na"] = con.na[(kind + ":" + wl, path)]
    elif not runs:
        cell["notrun"] = "the benchmark stopped before it"
    elif not ok:
        bad = [r for r in runs if r.get("rc")]
        cell["failed"] = (bad[0].get("error") or "rc %s" % bad[0].get("rc")) if bad else "no result"
    cell["value"] = stats([r["m"][key] for r in ok])
    cell["cpu_per_io_us"] = stats([r["m"].get("cpu_per_io_us") for r in ok])
    cell["cpu_s_per_gb"] = stats([r["m"].get("cpu_s_per_gb") for r in ok])
    cell["busy_vcpus"] = stats([r["m"].get("busy_vcpus") for r in ok])
    for c in ("hypercalls_per_io", "mc_entries_per_io", "events_per_io",
              "dyn_irqs_per_io", "grant_ops_per_io", "requests_per_io"):
        cell[c] = stats([r["m"].get(c) for r in ok])
    if len(runs) > len(ok) and "failed" not in cell:
        cell["some_failed"] = len(runs) - len(ok)
    return cell, {r["rep"]: r for r in ok}


def ratios(per, path, key, cpukey):
    """@path over native (the metric, CPU per I/O or GB): the per-round
    ratios of the rounds where both ran, as stats."""
    reps = sorted(set(per["native"]) & set(per[path]))
    rat = [per[path][i]["m"][key] / per["native"][i]["m"][key]
           for i in reps if per["native"][i]["m"][key]]
    crat = []
    for i in reps:
        a = per["native"][i]["m"].get(cpukey)
        b = per[path][i]["m"].get(cpukey)
        if a and b:
            crat.append(b / a)
    return stats(rat), stats(crat)


def completeness(con, vm_status):
    why = []
    if vm_status not in (None, 0):
        why.append({1: "the guest reported failed checks (not ok lines above)",
                    3: "the VM timed out", 4: "the guest died before finishing",
                    5: "a kernel report on the console"}.get(vm_status, "the VM exited with status %s" % vm_status))
    if con.done is None:
        why.append("the guest never reached the end of the benchmark")
    failed = [r for r in con.runs if r.get("rc")]
    if failed:
        why.append("%d run(s) failed" % len(failed))
    return (not why), "; ".join(why)


# ---- output ---------------------------------------------------------------


def cell_text(row, path, md=False):
    c = row[path] if isinstance(path, str) else path
    if "na" in c:
        return "n/a (not available: %s)" % c["na"]
    if "failed" in c:
        return "failed (%s)" % c["failed"]
    if "notrun" in c:
        return "not run (%s)" % c["notrun"]
    v = c["value"]
    if not v:
        return "-"
    s = "%s %s" % (fmt_num(v["median"]), row["unit"])
    if v["n"] > 1:
        s += " [%s-%s]" % (fmt_num(v["min"]), fmt_num(v["max"]))
    if c.get("some_failed"):
        s += " (%d failed)" % c["some_failed"]
    return s


def ratio_text(st, goal=None):
    if not st:
        return "-"
    s = "%.2f" % st["median"]
    if st["n"] > 1:
        s += " [%.2f-%.2f]" % (st["min"], st["max"])
    return s


def verdict(met):
    return {True: "met", False: "MISSED", None: "-"}[met]


def cpu_text(row, path):
    c = row[path]
    st = c.get(row["cpu_metric"])
    if not st:
        return "-"
    unit = "us/IO" if row["cpu_metric"] == "cpu_per_io_us" else "s/GB"
    return "%s %s" % (fmt_num(st["median"]), unit)


def per_io_text(row):
    c = row["pvio"]
    parts = []
    for k, n in (("hypercalls_per_io", "hc"), ("mc_entries_per_io", "mc"),
                 ("events_per_io", "ev"), ("requests_per_io", "rq")):
        st = c.get(k)
        if st:
            parts.append("%s %.2f" % (n, st["median"]))
    return " ".join(parts) or "-"


HEAD = ["workload", "native", "pvio (split)", "ratio", "goal", "", "CPU native",
        "CPU pvio", "CPU ratio", "", "pvio per I/O"]


def table_rows(rows):
    out = []
    for r in rows:
        out.append([r["title"], cell_text(r, "native"), cell_text(r, "pvio"),
                    ratio_text(r["ratio"]), goal_text(r["goal"]),
                    verdict(r["goal_met"]), cpu_text(r, "native"), cpu_text(r, "pvio"),
                    ratio_text(r["cpu_ratio"]), verdict(r["cpu_goal_met"]) if r["cpu_ratio"] else "-",
                    per_io_text(r)])
    return out


def aligned(head, body):
    """A plain-text table: the header, a rule, the rows, columns padded."""
    w = [max(len(str(x[i])) for x in body + [head]) for i in range(len(head))]
    lines = ["  ".join(str(x).ljust(w[i]) for i, x in enumerate(head)).rstrip(),
             "  ".join("-" * w[i] for i in range(len(head)))]
    for b in body:
        lines.append("  ".join(str(x).ljust(w[i]) for i, x in enumerate(b)).rstrip())
    return lines


def md_lines(head, body):
    """A markdown table of @body under @head ("|" in a cell becomes "/")."""
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for b in body:
        lines.append("| " + " | ".join(str(x).replace("|", "/") for x in b) + " |")
    return lines


def text_table(rows):
    body = table_rows(rows)
    # Long n/a reasons go below the table, numbered.
    notes = []
    for b in body:
        for i in (1, 2):
            if len(b[i]) > 34:
                notes.append(b[i])
                b[i] = "(%d) %s" % (len(notes), b[i].split(" (")[0])
                if b[i].endswith(" not"):
                    b[i] += " run"
    lines = aligned(HEAD, body)
    for i, n in enumerate(notes):
        lines.append("  (%d) %s" % (i + 1, n))
    return lines


def md_table(rows):
    body = table_rows(rows)
    h = ["workload", "native", "pvio (split)", "ratio pvio/native", "goal", "",
         "CPU native", "CPU pvio", "CPU ratio (goal: block <= 1.3, net <= 1.2)", "", "pvio per I/O"]
    return md_lines(h, body)


PEER_HEAD = ["block workload", "native", "pvio"] + [t for _, t in PEERS] + [
    "pvio ahead of %s" % ", ".join(t for p, t in PEERS if p in PEERS_TO_BEAT)]


def peer_cell(row, c):
    """A peer's value, its ratio to native and its CPU ratio."""
    s = cell_text(row, c)
    if c.get("value") and c.get("ratio"):
        s += " = %.2f" % c["ratio"]["median"]
        if c.get("cpu_ratio"):
            s += " (CPU %.2f)" % c["cpu_ratio"]["median"]
    return s


def peer_rows(rows):
    out = []
    for r in rows:
        if "peers" not in r:
            continue
        pv = dict(r["pvio"], ratio=r["ratio"], cpu_ratio=r["cpu_ratio"])
        out.append([r["title"], cell_text(r, "native"), peer_cell(r, pv)] +
                   [peer_cell(r, r["peers"][p]) for p, _ in PEERS] +
                   [{True: "yes", False: "NO", None: "-"}[r.get("ahead_of_peers")]])
    return out


def peer_text_table(rows):
    body = peer_rows(rows)
    if not body:
        return []
    notes = []
    for b in body:
        for i in range(1, len(b) - 1):
            if b[i].startswith(("n/a", "failed", "not run")) and len(b[i]) > 30:
                if b[i] not in notes:
                    notes.append(b[i])
                b[i] = "(p%d) %s" % (notes.index(b[i]) + 1, b[i].split(" (")[0])
    lines = ["block peers (value = ratio to native (CPU ratio)), same boot:"]
    lines += aligned(PEER_HEAD, body)
    for i, n in enumerate(notes):
        lines.append("  (p%d) %s" % (i + 1, n))
    return lines


def peer_md_table(rows):
    body = peer_rows(rows)
    if not body:
        return []
    lines = ["Block peers, each over a ramdisk of its own in the same boot: value = "
             "ratio to native (CPU per I/O ratio).", ""]
    return lines + md_lines(PEER_HEAD, body)


UML_HEAD = ["workload", "native", "in-kernel domU", "UML domU", "UML/native",
            "UML/in-kernel", "CPU UML", "UML per I/O"]


def uml_rows(rows):
    out = []
    for r in rows:
        if "uml" not in r:
            continue
        u = r["uml"]
        parts = []
        for k, n in (("hypercalls_per_io", "hc"), ("events_per_io", "ev"),
                     ("dyn_irqs_per_io", "irq")):
            if u.get(k):
                parts.append("%s %.2f" % (n, u[k]["median"]))
        out.append([r["title"], cell_text(r, "native"), cell_text(r, "pvio"), cell_text(r, u),
                    ratio_text(u.get("ratio")), ratio_text(u.get("vs_pvio")),
                    cpu_text(r, "uml"), " ".join(parts) or "-"])
    return out


def uml_text_table(rows):
    body = uml_rows(rows)
    if not body:
        return []
    notes = []
    for b in body:
        for i in (1, 2, 3):
            if len(b[i]) > 34:
                if b[i] not in notes:
                    notes.append(b[i])
                b[i] = "(u%d) %s" % (notes.index(b[i]) + 1, b[i].split(" (")[0])
    lines = ["UML domU (User-Mode Linux, a separate kernel: pvio-blkfront and "
             "pvio-netfront insmod-ed inside it), same boot:"]
    lines += aligned(UML_HEAD, body)
    for i, n in enumerate(notes):
        lines.append("  (u%d) %s" % (i + 1, n))
    return lines


def uml_md_table(rows):
    body = uml_rows(rows)
    if not body:
        return []
    lines = ["UML domU (User-Mode Linux, a separate kernel, its frontends insmod-ed "
             "inside it), same boot: ratio to native and to the in-kernel domU.", ""]
    return lines + md_lines(UML_HEAD, body)


LEGEND = """\
ratio: pvio over native, median of the per-round ratios [min-max], same
boot; goal: pvio's goal for that ratio (>= for throughput, <= for latency
and CPU); CPU: busy vCPU time per I/O (us/IO, 1 I/O = one fio
request or one UDP packet received) or per GB moved (s/GB): busy vCPUs from
/proc/stat over a window inside each run, the whole machine (frontend,
backend, fio/iperf3, both stacks), over the rate fio or iperf3 measured;
pvio per I/O: hypercalls (hc), multicall entries (mc), event-channel
notifications (ev) per fio I/O (block) or per packet at the vif (net),
from pvctl top -b over the same window, per I/O the device moved in it;
rq: /dev/xvda requests per fio I/O (above 1: requests are split)."""


def header(con, complete, why, mode):
    m = con.meta
    s = "pvio %s: kernel %s, %s, %s vCPUs, CPU %s, %s round(s), fio %ss + %ss ramp, iperf3 %ss" % (
        "benchmark" if mode == "bench" else "run", m.get("kernel", "?"), m.get("accel", "?"),
        m.get("vcpus", "?"), m.get("cpu", "?"), m.get("reps", "?"), m.get("runtime", "?"),
        m.get("ramp", "?"), m.get("net_time", "?"))
    if "udp64r" in m.get("net_wl", "").split(","):
        s += ", UDP fixed rate %s datagrams/s" % m.get("udp_pps", "?")
    host = con.host or host_info()
    s += "\nhost CPU %s, %s CPUs" % (host.get("cpu", "?"), host.get("cpus", "?"))
    if m.get("params", "none") != "none":
        s += "\nmodule parameters set (BENCH_PARAMS): %s" % m["params"].replace(",", " ")
    if m.get("profile"):
        s += "\nPROFILED (perf record ran during each window: a diagnosis, not results)"
    if not complete:
        s += "\nINCOMPLETE: %s (partial results kept)" % why
    return s


def drop_lines(rows):
    """The UDP rows' drop counters: each path's median increase per run."""
    out = []
    for r in rows:
        if not r.get("drops") or not any(r["drops"].values()):
            continue
        out.append("%s, datagrams dropped per run (median): %s%s" % (
            r["title"], "; ".join("%s: %s" % (p, " ".join("%s %d" % kv for kv in d.items()) or "-")
                                  for p, d in r["drops"].items()),
            {True: "; the dom0 socket (%s) drops no more than native's" % SOCKET_DROPS,
             False: "; the dom0 socket (%s) drops MORE than native's" % SOCKET_DROPS,
             None: ""}[r.get("socket_drops_ok")]))
    return out


def limit_lines(rows):
    """The rate-limited row: each path's goodput over the limit."""
    out = []
    for r in rows:
        lim = r.get("limit")
        if not lim:
            continue
        out.append("%s of %.0f Mbit/s: goodput over the limit, pvio (Xen vif rate) %s, "
                   "native (veth, tc tbf) %s; goal: pvio within 5%%: %s" % (
                       r["title"], lim["gbps"] * 1000, ratio_text(lim["pvio_over_limit"]),
                       ratio_text(lim["native_over_limit"]), verdict(r["goal_met"])))
    return out


def print_report(con, rows, complete, why, mode, f=sys.stdout):
    print("", file=f)
    print("=" * 78, file=f)
    print(header(con, complete, why, mode), file=f)
    print("", file=f)
    for ln in text_table(rows):
        print(ln, file=f)
    for ln in drop_lines(rows) + limit_lines(rows):
        print("  " + ln, file=f)
    pt = peer_text_table(rows)
    if pt:
        print("", file=f)
        for ln in pt:
            print(ln, file=f)
    ut = uml_text_table(rows)
    if ut:
        print("", file=f)
        for ln in ut:
            print(ln, file=f)
    print("", file=f)
    for ln in LEGEND.splitlines():
        print("  " + ln, file=f)
    if con.netdevs:
        print("", file=f)
        print("network pairs (MTU, offloads):", file=f)
        for n in con.netdevs:
            print("  " + n.replace("_", " "), file=f)
    profiles = [(k, "perf profile of %s (cpu-clock, whole machine)" % k.split(":", 1)[1])
                for k in con.texts if k.startswith("profile:")]
    for k, title in [("interrupts", "Dynamic-irq lines of /proc/interrupts"),
                     ("eoi", "late EOIs per domain and IRQ (debugfs pvio-evtchn/dN: spurious, delayed, delay total)"),
                     ("top", "pvctl top -b"),
                     ("uml-lsmod", "the UML domU's lsmod (its own kernel)"),
                     ("uml-interrupts", "the UML domU's /proc/interrupts (Dynamic-irq: its event channels)"),
                     ("uml-eoi", "the UML domU's late EOIs (debugfs pvio-evtchn/dN: spurious, delayed, delay total)")] + profiles:
        if k in con.texts:
            print("", file=f)
            print(title + ":", file=f)
            for ln in con.texts[k]:
                print("  " + ln, file=f)
    print("=" * 78, file=f)
    f.flush()


def host_info():
    cpu = "?"
    try:
        for ln in open("/proc/cpuinfo"):
            if ln.startswith("model name"):
                cpu = ln.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cpus": os.cpu_count(), "kernel": platform.release(),
            "hostname": platform.node()}


def write_outputs(prefix, con, rows, complete, why, mode, chart, saved=None):
    """PREFIX.json (@saved unchanged when the report comes from a saved
    JSON), PREFIX.md and, with @chart, PREFIX.png."""
    os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
    doc = saved or {
        "schema": 1,
        "complete": complete,
        "incomplete_reason": why or None,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": con.commit,
        "mode": mode,
        "accel": con.meta.get("accel"),
        "guest": con.meta,
        "host": host_info(),
        "not_available": [{"kind": k, "path": p, "reason": v} for (k, p), v in con.na.items()],
        "network_pairs": con.netdevs,
        "udp_drops": [{"workload": w, "path": p, "rounds": v} for (w, p), v in con.drops.items()],
        "results": rows,
        "profiles": {k: v for k, v in con.texts.items() if k.startswith("profile:")},
        "interrupts": con.texts.get("interrupts"),
        "pvctl_top": con.texts.get("top"),
        "eoi": con.texts.get("eoi"),
        "uml_lsmod": con.texts.get("uml-lsmod"),
        "uml_interrupts": con.texts.get("uml-interrupts"),
        "uml_eoi": con.texts.get("uml-eoi"),
        "tap": con.tap,
        "runs": [{k: v for k, v in r.items() if not k.startswith("_")} for r in con.runs],
    }
    with open(prefix + ".json", "w") as f:
        json.dump(doc, f, indent=1)
    hl = header(con, complete, why, mode).split("\n")
    md = ["### " + hl[0] + "  "] + [
        ("**%s**  " % x) if x.startswith(("INCOMPLETE", "PROFILED")) else x + "  "
        for x in hl[1:]] + [""]
    md += md_table(rows)
    dl = drop_lines(rows) + limit_lines(rows)
    if dl:
        md += [""] + [x + "  " for x in dl]
    pm = peer_md_table(rows)
    if pm:
        md += [""] + pm
    um = uml_md_table(rows)
    if um:
        md += [""] + um
    md += ["", LEGEND.replace("\n", " "), ""]
    if con.netdevs:
        md += ["Network pairs (MTU, offloads): " + "; ".join(n.replace("_", " ") for n in con.netdevs), ""]
    for k, v in con.texts.items():
        if k.startswith("profile:"):
            md += ["perf profile of %s (cpu-clock, whole machine):" % k.split(":", 1)[1], "",
                   "```"] + v + ["```", ""]
    with open(prefix + ".md", "w") as f:
        f.write("\n".join(md) + "\n")
    outs = [prefix + ".json", prefix + ".md"]
    if chart:
        png = draw_chart(prefix, con, rows, complete)
        if png:
            outs.append(png)
    return outs


def draw_chart(prefix, con, rows, complete):
    gp = shutil.which("gnuplot")
    if not gp:
        print("report: gnuplot not found (apt-get install gnuplot-nox): no chart", file=sys.stderr)
        return None
    dat = prefix + ".dat"
    nan = "NaN"
    with open(dat, "w") as f:
        for i, r in enumerate(rows):
            g = r["goal"]["ratio"] if r["goal"] and r["goal"]["op"] != "near" else nan
            peers = r.get("peers") or {}
            pr = ["%s" % (peers[p]["ratio"]["median"]
                          if peers.get(p, {}).get("ratio") else nan) for p, _ in PEERS]
            f.write('%d "%s" %s %s %s %s %s %s %s %s\n' % (
                i, r["title"].replace('"', ""),
                r["ratio"]["median"] if r["ratio"] else nan,
                r["ratio"]["min"] if r["ratio"] else nan,
                r["ratio"]["max"] if r["ratio"] else nan,
                r["cpu_ratio"]["median"] if r["cpu_ratio"] else nan,
                r["cpu_ratio"]["min"] if r["cpu_ratio"] else nan,
                r["cpu_ratio"]["max"] if r["cpu_ratio"] else nan, g, " ".join(pr)))
    title = "pvio / native, %s %s %s vCPUs%s" % (
        con.meta.get("kernel", ""), con.meta.get("accel", ""), con.meta.get("vcpus", ""),
        "" if complete else " (INCOMPLETE)")
    png = prefix + ".png"
    script = """
set terminal png size 1100,560 font ",10"
set output '%(png)s'
set title '%(title)s'
set style fill solid 0.8 border -1
set boxwidth 0.35
set xrange [-0.6:%(xmax)s]
set logscale y
set yrange [0.01:*]
set grid ytics mytics
set ylabel 'ratio to native (same boot, median, min-max; log scale)'
set xtics rotate by -25 nomirror
set key top right
plot '%(dat)s' using ($1-0.18):3:xtic(2) with boxes lc rgb '#4477aa' title 'throughput / latency ratio', \\
     '' using ($1-0.18):3:4:5 with yerrorbars lc rgb 'black' pt -1 notitle, \\
     '' using ($1+0.18):6 with boxes lc rgb '#ee7733' title 'CPU per I/O ratio', \\
     '' using ($1+0.18):6:7:8 with yerrorbars lc rgb 'black' pt -1 notitle, \\
     '' using ($1-0.18):3:(sprintf('%%.2f', $3)) with labels offset 0,0.8 font ',9' notitle, \\
     '' using ($1+0.18):6:(sprintf('%%.2f', $6)) with labels offset 0,0.8 font ',9' notitle, \\
%(na)s%(peers)s     '' using ($1-0.18):9 with points pt 9 ps 1.6 lc rgb '#228833' title 'goal (ratio)', \\
     1.3 with lines dt 2 lc rgb '#ee7733' title 'CPU goal 1.3 (net 1.2)', \\
     1 with lines lc rgb 'gray' notitle
""" % {"png": png, "title": title, "dat": dat, "xmax": len(rows) - 0.4,
       # gnuplot 5.4 crashes on a labels plot whose every point is
       # skipped: mark "n/a" only when some row has no ratio.
       "na": "     '' using 1:(valid(3) ? 1/0 : 0.015):(\"n/a\") with labels offset 0,0.8 notitle, \\\n"
             if any(not r["ratio"] for r in rows) else "",
       # The peers' throughput ratios, where any ran.
       "peers": "".join(
           "     '' using ($1-0.18):%d with points pt %d ps 1.3 lc rgb '%s' title '%s / native', \\\n"
           % (10 + k, (5, 7, 13)[k], ("#aa3377", "#66ccee", "#bbbbbb")[k], t)
           for k, (p, t) in enumerate(PEERS)
           if any((r.get("peers") or {}).get(p, {}).get("ratio") for r in rows))}
    gpf = prefix + ".gp"
    with open(gpf, "w") as f:
        f.write(script)
    p = subprocess.run([gp, gpf], capture_output=True, text=True)
    if p.returncode != 0:
        print("report: gnuplot failed: %s" % p.stderr.strip(), file=sys.stderr)
        return None
    return png


# ---- a saved JSON, publishing -----------------------------------------------


def from_json(path):
    """A Console rebuilt from a saved PREFIX.json, and the document."""
    with open(path) as f:
        doc = json.load(f)
    con = Console()
    con.meta = doc.get("guest") or {}
    con.na = {(x["kind"], x["path"]): x["reason"] for x in doc.get("not_available") or []}
    con.netdevs = doc.get("network_pairs") or []
    con.drops = {(x["workload"], x["path"]): x["rounds"] for x in doc.get("udp_drops") or []}
    con.runs = doc.get("runs") or []
    con.texts = dict(doc.get("profiles") or {})
    for k, key in (("interrupts", "interrupts"), ("top", "pvctl_top"), ("eoi", "eoi"),
                   ("uml-interrupts", "uml_interrupts"), ("uml-eoi", "uml_eoi"),
                   ("uml-lsmod", "uml_lsmod")):
        if doc.get(key) is not None:
            con.texts[k] = doc[key]
    con.tap = doc.get("tap") or []
    con.done = 0 if doc.get("complete") else None
    con.host = doc.get("host")
    con.date = doc.get("date")
    con.commit = doc.get("commit")
    return con, doc


HISTORY_HEAD = """\
# pvio benchmark history

One row per complete `make bench`, appended by `bench/report.py publish`
(called by `bench/run`). Each cell is pvio / native, the median of the
per-round ratios of that run (throughput: higher is better; QD1 latency:
lower is better), but "TCP limit", pvio's goodput over the vif's rate
limit; goals and method: `docs/benchmarks.md`. commit: the
tree measured (`-dirty`: with uncommitted changes). A row's full results
(raw fio/iperf3 JSON, CPU, counters) are `bench/results/latest.json` in
the commit that published it (`git log -- bench/results/latest.json`).

"""


# Short column titles of the history table, by result id.
HISTORY_TITLES = {"rr4k": "4k rr QD32", "rr4k2": "4k rr x2", "rw4k": "4k rw QD32", "lat_p50": "QD1 p50",
                  "lat_p99": "QD1 p99", "latpoll_p50": "QD1 poll p50", "latpoll_p99": "QD1 poll p99", "sr1m": "1M read", "sw1m": "1M write",
                  "tcp1": "TCP 1", "tcp4": "TCP -P 4", "tcpR": "TCP -R", "tcp4R": "TCP -P 4 -R", "udp64": "UDP 64B",
                  "udp64r": "UDP 64B rate", "tcprate": "TCP limit", "tcpnic": "TCP NIC"}


# Columns added after the table began go at its end (older rows lack them).
HISTORY_LATER = ("rr4k2", "latpoll_p50", "latpoll_p99", "tcp4R", "udp64r", "tcprate", "tcpnic")


def history_columns():
    ids = [r[0] + ("_" + r[3] if r[3] in ("p50", "p99") else "") for r in ROWS]
    ids = [i for i in ids if i not in HISTORY_LATER] + list(HISTORY_LATER)
    return [(i, HISTORY_TITLES.get(i, i)) for i in ids]


def history_row(doc, commit):
    by_id = {r["id"]: r for r in doc.get("results") or []}
    cells = []
    for rid, _ in history_columns():
        r = by_id.get(rid)
        # the rate-limited row: pvio's goodput over the limit, its goal
        st = r and ((r.get("limit") or {}).get("pvio_over_limit") or r.get("ratio"))
        cells.append("%.2f" % st["median"] if st else "-")
    date = (doc.get("date") or "?").replace("T", " ")[:16]
    g = doc.get("guest") or {}
    return "| %s | %s | %s | %s | %s |" % (date, commit or "?", doc.get("accel") or "?",
                                         g.get("reps", "?"), " | ".join(cells))


def history_append(path, doc, commit):
    """Append the run's row to the history table (created if missing)."""
    cols = history_columns()
    head = "| date (UTC) | commit | accel | rounds | %s |\n" % " | ".join(t for _, t in cols)
    sep = "|" + "---|" * (4 + len(cols)) + "\n"
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write(HISTORY_HEAD)
            f.write(head)
            f.write(sep)
    else:
        # A table begun with fewer columns: its header grows.
        with open(path) as f:
            lines = f.readlines()
        for i, ln in enumerate(lines):
            if ln.startswith("| date (UTC) |") and ln != head:
                lines[i] = head
                if i + 1 < len(lines) and lines[i + 1].startswith("|---"):
                    lines[i + 1] = sep
                with open(path, "w") as f:
                    f.writelines(lines)
                break
    with open(path, "a") as f:
        f.write(history_row(doc, commit) + "\n")


README_BEGIN, README_END = "<!-- bench-latest-begin -->", "<!-- bench-latest-end -->"


def readme_update(readme, md, png):
    """Put @md (and the chart, if there is one) between the README's
    bench-latest markers. Returns False if the markers are missing."""
    with open(readme) as f:
        t = f.read()
    if README_BEGIN not in t or README_END not in t:
        return False
    pre, rest = t.split(README_BEGIN, 1)
    post = rest.split(README_END, 1)[1]
    with open(md) as f:
        block = README_BEGIN + "\n" + f.read().rstrip() + "\n"
    if png:
        block += "\n![pvio / native ratios](bench/results/latest.png)\n"
    with open(readme, "w") as f:
        f.write(pre + block + README_END + post)
    return True


def publish(path, results, readme, commit):
    """A finished bench run's files become the latest results."""
    _, doc = from_json(path)
    prefix = path[:-5] if path.endswith(".json") else path
    os.makedirs(results, exist_ok=True)
    prof = (doc.get("guest") or {}).get("profile")
    if prof:
        # BENCH_PROFILE=graph (call chains) and the flat profile keep a file each
        name = "latest-profile-graph.md" if prof == "graph" else "latest-profile.md"
        shutil.copyfile(prefix + ".md", os.path.join(results, name))
        print("report: profiled run (not results): %s" %
              os.path.relpath(os.path.join(results, name)))
        return 0
    if not doc.get("complete"):
        print("report: %s is incomplete (%s): not published" % (path, doc.get("incomplete_reason")),
              file=sys.stderr)
        return 1
    latest = os.path.join(results, "latest")
    shutil.copyfile(path, latest + ".json")
    shutil.copyfile(prefix + ".md", latest + ".md")
    png = os.path.exists(prefix + ".png")
    if png:
        shutil.copyfile(prefix + ".png", latest + ".png")
    elif os.path.exists(latest + ".png"):
        os.unlink(latest + ".png")  # an older run's chart would mislead
    history_append(os.path.join(results, "history.md"), doc, commit or doc.get("commit"))
    print("report: %s.{json,md%s} and a row of %s" % (
        os.path.relpath(latest), ",png" if png else "", os.path.relpath(os.path.join(results, "history.md"))))
    if readme:
        if readme_update(readme, latest + ".md", png):
            print("report: %s's benchmark section now shows this run" % os.path.relpath(readme))
        else:
            print("report: %s has no bench-latest markers: left alone" % readme, file=sys.stderr)
    return 0


# ---- main -------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("how", choices=["live", "log", "json", "publish"])
    ap.add_argument("file", nargs="?")
    ap.add_argument("--mode", choices=["run", "bench"], default="bench")
    ap.add_argument("--out", help="write PREFIX.json and PREFIX.md")
    ap.add_argument("--chart", action="store_true", help="also PREFIX.png (gnuplot)")
    ap.add_argument("--vm-status-file", help="file holding tools/vm's exit status")
    ap.add_argument("--commit", help="the commit measured (recorded in the JSON; publish: the history row's)")
    ap.add_argument("--results", help="publish: the results directory (default: bench/results)")
    ap.add_argument("--readme", help="publish: the README whose bench-latest block to update")
    a = ap.parse_args()
    if a.how != "live" and not a.file:
        ap.error("%s needs a FILE" % a.how)

    if a.how == "publish":
        here = os.path.dirname(os.path.abspath(__file__))
        return publish(a.file, a.results or os.path.join(here, "results"), a.readme, a.commit)
    if a.how == "json":
        con, doc = from_json(a.file)
        rows = aggregate(con)
        complete, why = bool(doc.get("complete")), doc.get("incomplete_reason") or ""
        mode = doc.get("mode") or a.mode
        print_report(con, rows, complete, why, mode)
        if a.out:
            outs = write_outputs(a.out, con, rows, complete, why, mode, a.chart, saved=doc)
            print("report: wrote %s" % ", ".join(os.path.relpath(o) for o in outs))
        return 0 if complete else 1

    con = Console()
    con.commit = a.commit
    live = a.how == "live"
    src = sys.stdin if live else open(a.file, errors="replace")
    total = None
    printed = False
    for raw in src:
        line = strip(raw)
        ev, r = con.feed(line)
        if not live:
            continue
        if ev == "pass":
            print(line, flush=True)
        elif ev == "run-start":
            if total is None:
                reps = int(con.meta.get("reps", 1))
                total = 0
                for kind, key in (("blk", "blk_wl"), ("net", "net_wl")):
                    n = len([w for w in con.meta.get(key, "").split(",") if w])
                    paths = ["native", "pvio"] + ([p for p, _ in PEERS
                                                   if p in con.meta.get("peers", "").split(",")]
                                                  if kind == "blk" else [])
                    total += reps * n * sum(1 for p in paths if (kind, p) not in con.na)
                    if con.meta.get("uml") == "1" and (kind, "uml") not in con.na:
                        total += len(uml_runs(con.meta, key))
            where = PATH_NAMES.get((KIND_OF.get(r["wl"]), r["path"]), r["path"])
            print("bench: [%d/%s] %-6s %-6s %-15s round %d: " % (
                r.get("n", 0), total, r["wl"], r["path"], where, r.get("rep", 0)), end="", flush=True)
        elif ev == "run-end":
            print(progress(r), flush=True)
        elif ev == "done":
            complete, why = completeness(con, None)
            print_report(con, aggregate(con), complete, why, a.mode)
            printed = True
    if con.cur is not None:
        con.feed("PVIO-EXIT: -1")
    vm_status = None
    if a.vm_status_file:
        try:
            vm_status = int(open(a.vm_status_file).read().strip() or 0)
        except (OSError, ValueError):
            vm_status = None
    rows = aggregate(con)
    complete, why = completeness(con, vm_status)
    if not printed or not live or not complete:
        if live and printed:
            print("report: %s" % why)
        else:
            print_report(con, rows, complete, why, a.mode)
    if a.out:
        outs = write_outputs(a.out, con, rows, complete, why, a.mode, a.chart)
        print("report: wrote %s" % ", ".join(os.path.relpath(o) for o in outs))
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
