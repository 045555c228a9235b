#!/usr/bin/env python3
"""Reference network metrics from NetworkX, for GET /v1/network/metrics and `socialscore metrics`.

Writes, from the repository root (run it there: python3 scripts/reference/network_metrics.py):

  testdata/karate-club/karate_network_metrics_networkx.json
      Zachary's karate club (karate.mtx, 34 people, 78 friendships), unweighted.
  testdata/snap-ego-facebook/facebook_network_metrics_networkx.json
      SNAP ego-Facebook (facebook_combined.txt, 4,039 people, 88,234 friendships), unweighted.

Each file holds
    people, friendships            G.number_of_nodes(), G.number_of_edges()
    degree_assortativity           nx.degree_assortativity_coefficient(G)
    transitivity                   nx.transitivity(G)      (3 x triangles / connected triples)
    average_clustering             nx.average_clustering(G)
    degree_gini                    the Gini coefficient of the degrees, computed here from its
                                   definition, sum_i sum_j |x_i - x_j| / (2 n^2 mean), over all
                                   ordered pairs (NetworkX has no Gini; this is independent of the
                                   sorted-rank formula that scoring/netstat uses)
    networkx, python               the versions that computed them
with floats as JSON numbers printed by repr() (the shortest string that reads back to the same float64).
"""

import json
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


def gini_pairs(values):
    """Gini from its definition: the mean absolute difference over all ordered pairs, over twice the mean."""
    n = len(values)
    total = sum(values)
    if n == 0 or total == 0:
        return 0.0
    # sum_i sum_j |x_i - x_j|, grouping equal values (degrees repeat a lot) to keep it quick.
    counts = {}
    for x in values:
        counts[x] = counts.get(x, 0) + 1
    diff = 0
    items = list(counts.items())
    for a, ca in items:
        for b, cb in items:
            diff += ca * cb * abs(a - b)
    mean = total / n
    return diff / (2 * n * n * mean)


def metrics(g):
    degrees = [d for _, d in g.degree()]
    return {
        "people": g.number_of_nodes(),
        "friendships": g.number_of_edges(),
        "degree_assortativity": nx.degree_assortativity_coefficient(g),
        "transitivity": nx.transitivity(g),
        "average_clustering": nx.average_clustering(g),
        "degree_gini": gini_pairs(degrees),
        "networkx": nx.__version__,
        "python": sys.version.split()[0],
    }


def write(path, g):
    m = metrics(g)
    with open(path, "w") as f:
        json.dump(m, f, indent=2)
        f.write("\n")
    print(f"{path}: {m}")


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    print(f"networkx {nx.__version__}, python {sys.version.split()[0]}")
    write(os.path.join(root, "testdata", "karate-club", "karate_network_metrics_networkx.json"), karate(root))
    write(os.path.join(root, "testdata", "snap-ego-facebook", "facebook_network_metrics_networkx.json"), facebook(root))


if __name__ == "__main__":
    main()
