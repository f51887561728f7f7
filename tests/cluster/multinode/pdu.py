#!/usr/bin/python3
"""The power switch of tests/cluster/multinode.sh's namespace nodes (a PDU for the test).

Runs on the machine, outside every node, for one run of a multi-node suite. It owns the nodes'
power: "on" starts a node (its init, node.sh, in the node's network namespace with new PID, mount
and UTS namespaces; it answers once the node has power, and the node then boots: after
--boot-secs when it has booted before, its corosync and pacemaker come up as at the suite's
start), "off" kills that init
(every process of the node dies with its PID namespace, its mounts with its mount namespace; the
node's freezer cgroup, if a test froze processes in it, is thawed so that they die too, as they
would when the power goes). The nodes' fence agent (fence_mqha_ns) and the suite itself reach it on
a unix socket in the suite's state directory, one request per connection:

    on NODE | off NODE | status NODE | list        ->  "ok on" / "ok off" / "ok node1 node2 ..." / "error TEXT"

Every request and its answer is logged with a UTC timestamp to pdu.log beside the socket, so a
test can tell when a node was powered off. Only the nodes it was started with exist for it.
"""
import argparse
import datetime
import os
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time

START_LIMIT = 30.0  # node.sh gives corosync 20 s before it writes "started"
OFF_LIMIT = 15.0


def log(msg):
    line = "[%s] %s\n" % (datetime.datetime.now(datetime.timezone.utc).strftime("%H:%M:%S.%f")[:-3], msg)
    with open(ARGS.log, "a") as f:
        f.write(line)


class Node:
    def __init__(self, n):
        self.n = n
        self.name = "node%d" % n
        self.dir = os.path.join(ARGS.state, self.name)
        self.ns = "%s%d" % (ARGS.netns_prefix, n)
        self.lock = threading.Lock()
        self.launcher = None

    def pidfile(self):
        return os.path.join(self.dir, "init.pid")

    def init_pid(self):
        """The host pid of this node's init when it runs (same network namespace, not a zombie)."""
        try:
            with open(self.pidfile()) as f:
                pid = int(f.read().strip())
            with open("/proc/%d/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            if state in ("Z", "X"):
                return None
            if os.stat("/proc/%d/ns/net" % pid).st_ino != os.stat("/run/netns/" + self.ns).st_ino:
                return None
            return pid
        except (OSError, ValueError, IndexError):
            return None

    def reap(self):
        if self.launcher is not None and self.launcher.poll() is not None:
            self.launcher = None

    def on(self):
        if self.init_pid():
            return "ok on"
        self.reap()
        powered = os.path.join(self.dir, "powered")
        for f in (powered, os.path.join(self.dir, "started")):
            try:
                os.unlink(f)
            except FileNotFoundError:
                pass
        out = open(os.path.join(self.dir, "node.out"), "a")
        argv = ["ip", "netns", "exec", self.ns, "unshare", "--pid", "--fork", "--mount-proc", "--mount",
                "--uts", ARGS.node_script, self.name, self.dir, ARGS.mqroot, ARGS.agents, ARGS.fence_dir,
                str(ARGS.boot_secs)]
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                             start_new_session=True)
        out.close()
        self.launcher = p
        deadline = time.monotonic() + START_LIMIT
        pid1 = None
        while time.monotonic() < deadline:
            try:
                with open("/proc/%d/task/%d/children" % (p.pid, p.pid)) as f:
                    kids = f.read().split()
                pid1 = int(kids[0]) if kids else None
            except (OSError, ValueError):
                pid1 = None
            if pid1 and os.path.exists(powered):
                tmp = self.pidfile() + ".new"
                with open(tmp, "w") as f:
                    f.write("%d\n" % pid1)
                os.rename(tmp, self.pidfile())
                return "ok on"
            if p.poll() is not None:
                return "error %s exited %s while starting; see %s/node.out" % (self.name, p.returncode, self.dir)
            time.sleep(0.1)
        return "error %s did not start within %d s; see %s/node.out" % (self.name, START_LIMIT, self.dir)

    def off(self):
        pid1 = self.init_pid()
        if pid1:
            try:
                os.kill(pid1, signal.SIGKILL)
            except ProcessLookupError:
                pass
        # Processes a test froze (D state) do not die of SIGKILL until thawed; power off ends them.
        thaw(self.n)
        deadline = time.monotonic() + OFF_LIMIT
        while time.monotonic() < deadline:
            self.reap()
            if self.init_pid() is None and (self.launcher is None or self.launcher.poll() is not None):
                self.reap()
                # The network namespace outlives the node's processes; a host without power has no
                # link, and the addresses its software added (a virtual IP) are gone.
                for argv in (["ip", "-n", self.ns, "link", "set", "eth0", "down"],
                             ["ip", "-n", self.ns, "addr", "flush", "dev", "eth0", "secondary"]):
                    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
                    if r.returncode != 0:
                        return "error %s: %s: %s" % (self.name, " ".join(argv), r.stderr.decode().strip())
                try:
                    os.unlink(self.pidfile())
                except FileNotFoundError:
                    pass
                return "ok off"
            time.sleep(0.05)
        return "error %s: init %s still there %d s after SIGKILL" % (self.name, pid1, OFF_LIMIT)

    def status(self):
        return "ok on" if self.init_pid() else "ok off"


def thaw(n):
    d = "%s%d" % (ARGS.freezer_prefix, n) if ARGS.freezer_prefix else None
    if d and os.path.isdir(d):
        try:
            with open(os.path.join(d, "freezer.state"), "w") as f:
                f.write("THAWED")
        except OSError as e:
            log("thaw %s: %s" % (d, e))


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        try:
            line = self.rfile.readline(200).decode("ascii", "replace").strip()
        except OSError:
            return
        words = line.split()
        answer = self.answer(words)
        log("%s -> %s" % (line, answer))
        try:
            self.wfile.write((answer + "\n").encode())
        except OSError:
            pass

    def answer(self, words):
        if words == ["list"]:
            return "ok " + " ".join(n.name for n in NODES.values())
        if len(words) != 2 or words[0] not in ("on", "off", "status"):
            return "error unknown request %r (on|off|status NODE, list)" % " ".join(words)
        node = NODES.get(words[1])
        if node is None:
            return "error no such node %r (known: %s)" % (words[1], " ".join(NODES))
        with node.lock:
            return getattr(node, words[0])()


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main():
    global ARGS, NODES
    ap = argparse.ArgumentParser(description="power switch of the multinode suite's namespace nodes")
    ap.add_argument("--state", required=True, help="the suite's state directory (nodeN/ below it)")
    ap.add_argument("--socket", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--nodes", type=int, required=True)
    ap.add_argument("--netns-prefix", required=True, help="node N's network namespace is PREFIX<N>")
    ap.add_argument("--node-script", required=True)
    ap.add_argument("--mqroot", required=True)
    ap.add_argument("--agents", default="")
    ap.add_argument("--fence-dir", default="")
    ap.add_argument("--boot-secs", type=int, default=0, help="a node powered on again boots this long")
    ap.add_argument("--freezer-prefix", default="", help="node N's freezer cgroup is PREFIX<N>")
    ARGS = ap.parse_args()
    os.closerange(3, 256)  # the suite's pipes stay the suite's
    NODES = {n.name: n for n in (Node(i) for i in range(1, ARGS.nodes + 1))}
    old = os.umask(0o077)
    server = Server(ARGS.socket, Handler)
    os.umask(old)
    os.chmod(ARGS.socket, 0o600)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log("listening on %s for %s" % (ARGS.socket, " ".join(NODES)))
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        os.unlink(ARGS.socket)


ARGS = None
NODES = {}
if __name__ == "__main__":
    main()
