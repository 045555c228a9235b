#!/usr/bin/env bash
# Writes every export kind with the CLI and the API on a seeded temporary store and checks that
# NetworkX (read_gexf, read_graphml, node_link_graph) and igraph (Read_GraphML) load each one with
# the API's (or the CLI's) node and edge counts: scripts/check_exports.py says how. The readers are
# installed, at the versions pinned in scripts/check_exports.requirements.txt, into a virtualenv in
# the repository's ignored tmp/ folder (or $CHECK_EXPORTS_VENV). .ci/run runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${CHECK_EXPORTS_VENV:-tmp/check-exports-venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check -r scripts/check_exports.requirements.txt
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/socialscore" ./cmd/socialscore
"$venv/bin/python" scripts/check_exports.py --bin "$work/socialscore" --workdir "$work/files"
