#!/usr/bin/env python3
"""Check that NetworkX and igraph read every export socialscore writes, as it is written.

Run by scripts/check_exports.sh (which makes a virtualenv with pinned networkx, numpy and igraph
and builds the binary); by hand:

    python3 scripts/check_exports.py --bin path/to/socialscore [--workdir DIR]

It seeds a small network (with recruitments, so that a friend can also be one's recruit) into a
fresh embedded store in the work directory, scores it, and then

  * with the CLI, writes the whole network, an ego network and a sample in JSON, GEXF and GraphML,
    and a shock experiment's dynamic GEXF, reading the node and edge counts the CLI prints;
  * starts `socialscore serve` on a free loopback port and fetches GET /v1/exports for the same
    kinds in every format, as an operator and as a researcher (pseudonymised and generalised),
    taking the node and link counts of the JSON answer as the API's counts;

and loads every file with NetworkX (read_gexf, read_graphml, json_graph.node_link_graph) and every
GraphML file with igraph (Graph.Read_GraphML; igraph has no GEXF or node-link JSON reader), asserting
that each reader sees exactly the API's (or the CLI's) number of nodes and edges. It exits non-zero
naming every file that fails, and prints "N passed, M failed".
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import igraph
import networkx as nx


def run(binary, *args, env=None):
    p = subprocess.run([binary, *args], capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise SystemExit(f"socialscore {' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p.stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nx_load(path, fmt):
    if fmt == "gexf":
        return nx.read_gexf(path)
    if fmt == "graphml":
        return nx.read_graphml(path)
    with open(path) as f:
        return nx.node_link_graph(json.load(f), edges="links")


class Checker:
    def __init__(self):
        self.passed, self.failed = 0, []

    def expect(self, what, got, want):
        if got == want:
            self.passed += 1
        else:
            self.failed.append(f"{what}: got {got}, want {want}")
            print(f"FAIL {what}: got {got}, want {want}")

    def load(self, path, fmt, nodes, edges, label):
        """Every reader of the format must see nodes and edges; returns NetworkX's node ids."""
        ids = None
        try:
            g = nx_load(path, fmt)
            ids = sorted(map(str, g.nodes))
            self.expect(f"{label} networkx nodes", g.number_of_nodes(), nodes)
            self.expect(f"{label} networkx edges", g.number_of_edges(), edges)
            self.expect(f"{label} networkx undirected", g.is_directed(), False)
        except Exception as e:  # a reader that refuses the file is the failure this checks for
            self.failed.append(f"{label}: networkx cannot read it: {e!r}")
            print(f"FAIL {label}: networkx: {e!r}")
        if fmt == "graphml":
            try:
                ig = igraph.Graph.Read_GraphML(path)
                self.expect(f"{label} igraph nodes", ig.vcount(), nodes)
                self.expect(f"{label} igraph edges", ig.ecount(), edges)
                self.expect(f"{label} igraph undirected", ig.is_directed(), False)
            except Exception as e:
                self.failed.append(f"{label}: igraph cannot read it: {e!r}")
                print(f"FAIL {label}: igraph: {e!r}")
        return ids


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, help="the socialscore binary")
    ap.add_argument("--workdir", help="where to put the store and the files (default: a temporary directory)")
    ap.add_argument("--people", type=int, default=400)
    a = ap.parse_args()
    work = a.workdir or tempfile.mkdtemp(prefix="check-exports-")
    os.makedirs(work, exist_ok=True)
    store = "embedded://" + os.path.abspath(os.path.join(work, "store.db"))
    env = dict(os.environ, SOCIALSCORE_EXPORT_KEY="")
    print(f"networkx {nx.__version__}, igraph {igraph.__version__}, work in {work}")

    run(a.bin, "seed", "--store", store, "--people", str(a.people), "--seed", "7", env=env)
    run(a.bin, "score", "--store", store, "--policy", "lenddo", env=env)
    c = Checker()

    # The CLI: counts from its "wrote FILE: FORMAT KIND, N people, M ties" line.
    wrote = re.compile(r"wrote (.+): (\w+) (\w+), (\d+) people, (\d+) ties")
    kinds = {"network": [], "ego": ["--ego", "1", "--depth", "2"], "sample": ["--sample", "120", "--seed", "3"]}
    recruited = 0
    ids = {}  # (source, kind, format) -> node ids as NetworkX read them
    for kind, args in kinds.items():
        for fmt in ("json", "gexf", "graphml"):
            path = os.path.join(work, f"cli-{kind}.{fmt}")
            out = run(a.bin, "export", "--store", store, "--out", path, *args, env=env)
            m = wrote.search(out)
            if not m:
                raise SystemExit(f"export printed no counts: {out!r}")
            nodes, edges = int(m.group(4)), int(m.group(5))
            ids["cli", kind, fmt] = c.load(path, fmt, nodes, edges, f"cli {kind} {fmt}")
            if fmt == "graphml":
                with open(path) as f:
                    recruited += f.read().count(">recruited<")
    # A shock experiment's dynamic GEXF.
    path = os.path.join(work, "cli-shock.gexf")
    out = run(a.bin, "experiment", "shock", "--store", store, "--ids", "1,2", "--event", "default:5000",
              "--policy", "tencent", "--gexf", path, env=env)
    m = re.search(r"wrote .+: (\d+) people, (\d+) ties", out)
    c.load(path, "gexf", int(m.group(1)), int(m.group(2)), "cli shock gexf")
    c.expect("the exports hold recruitments (mixed edges would have broken NetworkX)", recruited > 0, True)

    # The API.
    op = run(a.bin, "keys", "create", "--store", store, "--name", "check-op", "--role", "operator", env=env).strip()
    res = run(a.bin, "keys", "create", "--store", store, "--name", "check-res", "--role", "researcher", env=env).strip()
    port = free_port()
    log = open(os.path.join(work, "serve.log"), "w")
    srv = subprocess.Popen([a.bin, "serve", "--store", store, "--addr", f"127.0.0.1:{port}",
                            "--audit-log", os.path.join(work, "audit.jsonl")], stdout=log, stderr=log, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                if srv.poll() is not None:
                    raise SystemExit("serve exited; see " + log.name)
                time.sleep(0.1)

        def get(query, key):
            req = urllib.request.Request(base + "/v1/exports?" + query, headers={"Authorization": "Bearer " + key})
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.read()

        queries = {"network": "", "ego": "ego=1&depth=2", "sample": "sample=120&seed=3"}
        for role, key in (("operator", op), ("researcher", res)):
            for kind, q in queries.items():
                sep = "&" if q else ""
                api = json.loads(get(q + sep + "format=json", key))
                nodes, edges = len(api["nodes"]), len(api["links"])
                for fmt in ("json", "gexf", "graphml"):
                    path = os.path.join(work, f"api-{role}-{kind}.{fmt}")
                    with open(path, "wb") as f:
                        f.write(get(q + sep + "format=" + fmt, key))
                    ids[role, kind, fmt] = c.load(path, fmt, nodes, edges, f"api {role} {kind} {fmt}")
    finally:
        srv.terminate()
        srv.wait(timeout=30)
        log.close()

    # One pseudonym per person (the store's key): the same ids in every format, from the CLI and
    # from the API (operator and researcher exports alike).
    for kind in queries:
        want = ids["cli", kind, "json"]
        for key, got in sorted(ids.items()):
            if key[1] == kind:
                c.expect(f"{key[0]} {kind} {key[2]}: the same pseudonyms as the CLI's JSON", got, want)

    print(f"{c.passed} passed, {len(c.failed)} failed")
    if c.failed:
        sys.exit(1)
    if not a.workdir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
