#!/usr/bin/env python3
"""Reference betweenness and closeness centralities from NetworkX.

Writes, from the repository root (run it there: python3 scripts/reference/centrality.py):

  testdata/karate-club/karate_centrality_networkx.csv
      Zachary's karate club (karate.mtx, 34 people, 78 friendships), ids = mtx ids 1..34.
  testdata/karate-club/karate_without_leaders_centrality_networkx.csv
      The subgraph of the karate club induced by everyone but the two leaders (mtx ids 1 and 34):
      32 people in several components (mtx id 12 is alone), so closeness takes NetworkX's
      wf_improved scaling for disconnected graphs.
  testdata/snap-ego-facebook/ego_0_centrality_networkx.csv
      The depth-1 ego network of node 0 of SNAP ego-Facebook (facebook_combined.txt):
      node 0, its 347 friends and the friendships among them (nx.ego_graph(G, 0, radius=1)),
      ids = file ids 0..4038 (socialscore's importer stores file id i as person i+1).

Each CSV has the header "id,betweenness,closeness" and one row per person, ascending id, with
    betweenness = nx.betweenness_centrality(G)[id]   (normalized=True, endpoints=False, weight=None)
    closeness   = nx.closeness_centrality(G)[id]     (wf_improved=True, distance=None)
printed with repr() (the shortest string that reads back to the same float64).
Both graphs are undirected and unweighted. The NetworkX version is written to stdout and into
the folders' SOURCE.md by hand.
"""

import csv
import os
import sys

import networkx as nx


def karate(root):
    """The karate club from karate.mtx: MatrixMarket, 1-based, lower triangle, symmetric pattern."""
    path = os.path.join(root, "testdata", "karate-club", "karate.mtx")
    g = nx.Graph()
    with open(path) as f:
        lines = [line.split() for line in f if line.strip() and not line.startswith("%")]
    rows, cols, entries = map(int, lines[0])
    assert rows == cols == 34 and entries == 78, lines[0]
    g.add_nodes_from(range(1, rows + 1))
    g.add_edges_from((int(u), int(v)) for u, v in lines[1:])
    assert g.number_of_edges() == 78
    return g


def facebook(root):
    path = os.path.join(root, "testdata", "snap-ego-facebook", "facebook_combined.txt")
    g = nx.read_edgelist(path, nodetype=int)
    assert g.number_of_nodes() == 4039 and g.number_of_edges() == 88234
    return g


def write(path, g):
    bc = nx.betweenness_centrality(g)
    cc = nx.closeness_centrality(g)
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "betweenness", "closeness"])
        for v in sorted(g.nodes):
            w.writerow([v, repr(bc[v]), repr(cc[v])])
    print(f"{path}: {g.number_of_nodes()} nodes, {g.number_of_edges()} edges, "
          f"{nx.number_connected_components(g)} components")


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    print(f"networkx {nx.__version__}, python {sys.version.split()[0]}")
    k = karate(root)
    write(os.path.join(root, "testdata", "karate-club", "karate_centrality_networkx.csv"), k)
    rest = k.subgraph(set(k.nodes) - {1, 34})
    write(os.path.join(root, "testdata", "karate-club", "karate_without_leaders_centrality_networkx.csv"), rest)
    ego = nx.ego_graph(facebook(root), 0, radius=1)
    assert ego.number_of_nodes() == 348
    write(os.path.join(root, "testdata", "snap-ego-facebook", "ego_0_centrality_networkx.csv"), ego)


if __name__ == "__main__":
    main()
