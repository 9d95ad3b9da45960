#!/usr/bin/env bash
# Builds webp-scaled.wasm: libwebp's decoder (Debian's source package, with Debian's security patches)
# and shim.c, compiled by Debian's clang for wasm32 against wasi-libc (malloc, memcpy; no WASI imports).
# The .wasm is committed with its SHA-256 (webp-scaled.wasm.sha256) so that installs and CI need no
# toolchain; this script rebuilds it and checks that the result is the committed file:
#   bash native/webp-scaled/build.sh            # as root on Debian 12 (installs the packages it needs)
#   bash native/webp-scaled/build.sh --update   # replace the committed .wasm and its checksum
# When Debian publishes a libwebp security update for bookworm, set `version` below to it and run --update.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="1.2.4-0.2+deb12u1" # bookworm-security: includes the CVE-2023-4863 fix
work="${TMPDIR:-/tmp}/webp-scaled-build"
out="$here/../../src/biometrics/face/webp/webp-scaled.wasm"

if ! command -v clang-14 >/dev/null || [ ! -d /usr/include/wasm32-wasi ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32 dpkg-dev
fi

# The source package, fetched with apt from the machine's own Debian mirrors (their deb-src twins), into
# $work only: the system's apt configuration is left as it is.
src="$work/libwebp-1.2.4"
if [ ! -d "$src" ]; then
  mkdir -p "$work/apt/sources" "$work/apt/lists/partial" "$work/apt/cache/archives/partial"
  sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > "$work/apt/sources/debian-src.sources"
  apt_opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$work/apt/sources" -o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache")
  apt-get "${apt_opts[@]}" update
  (cd "$work" && apt-get "${apt_opts[@]}" source "libwebp=$version")
fi

# The decoder's files only (no encoder, no threads, no SIMD: wasm32 has none of libwebp's SIMD paths).
files=(
  "$src"/src/dec/*.c
  "$src"/src/dsp/{alpha_processing,cpu,dec,dec_clip_tables,filters,lossless,rescaler,upsampling,yuv}.c
  "$src"/src/utils/{bit_reader_utils,color_cache_utils,filters_utils,huffman_utils,quant_levels_dec_utils,random_utils,rescaler_utils,thread_utils,utils}.c
  "$here/shim.c"
)
mkdir -p "$(dirname "$out")"
tmp="$work/webp-scaled.wasm"
# -ffile-prefix-map: no build path in the output, so that rebuilds are byte-identical.
# --max-memory: 64 MiB of heap at most (the upload, an alpha plane, the output): a picture needing more
# fails to decode instead of growing the isolate.
clang-14 --target=wasm32-wasi -O2 -DNDEBUG -I"$src/src" -I"$src" \
  -ffile-prefix-map="$src"=libwebp -ffile-prefix-map="$here"=shim \
  -nostartfiles -Wl,--no-entry -Wl,--gc-sections -Wl,--strip-all \
  -Wl,--initial-memory=1048576 -Wl,--max-memory=67108864 -Wl,-z,stack-size=131072 \
  -o "$tmp" "${files[@]}"

sum="$(sha256sum "$tmp" | cut -d' ' -f1)"
if [ "${1:-}" = "--update" ]; then
  cp "$tmp" "$out"
  echo "$sum  webp-scaled.wasm" > "$out.sha256"
  echo "updated $out ($(stat -c %s "$out") bytes, sha256 $sum)"
elif [ "$sum" = "$(cut -d' ' -f1 "$out.sha256")" ]; then
  echo "rebuilt webp-scaled.wasm matches the committed one (sha256 $sum)"
else
  echo "rebuilt webp-scaled.wasm differs from the committed one: $sum (see $tmp)" >&2
  exit 1
fi
