#!/usr/bin/env bash
# Builds the GPU-check bundle: everything tools/gpu-check.sh needs on a Linux machine with an
# NVIDIA GPU, a C++ toolchain, CMake and a Python PyTorch, but no Java, no Maven and no network.
#
#   DJL_SRC=/path/to/djl-checkout-at-v0.33.0 tools/gpu-bundle.sh [--out DIR] [--no-build] [--tar]
#
# The bundle (default build/gpu-bundle, ignored by git) holds:
#   runtime/     a jlinked Java runtime with only the modules the engine uses
#   lib/         the engine's jars WITHOUT libtorch natives and without DJL's prebuilt JNI
#   jni/include  the JNI header of DJL's ai.djl.pytorch.jni.PyTorchLibrary (javac -h) and jni.h/jni_md.h
#   djl-src/     the parts of DJL's sources the JNI build needs (pytorch-native, api's djl/utils.h),
#                with the commit they came from: build input only, never committed to this project
#   golden/      the reference pipeline cases and the tiny pipelines they run
#   gpu-check.sh, gpu-check-run.py   the check itself
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/build/gpu-bundle"
BUILD=1
TAR=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) OUT="$(realpath -m "$2")"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --tar) TAR=1; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "gpu-bundle: unknown option $1" >&2; exit 2 ;;
  esac
done

DJL_SRC="${DJL_SRC:-}"
if [[ -z "$DJL_SRC" ]]; then
  echo "gpu-bundle: set DJL_SRC to a checkout of DJL (github deepjavalibrary/djl) at tag v0.33.0" >&2
  exit 2
fi
PT_LIBRARY_JAVA="$DJL_SRC/engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java"
PT_NATIVE="$DJL_SRC/engines/pytorch/pytorch-native"
for f in "$PT_LIBRARY_JAVA" "$PT_NATIVE/CMakeLists.txt" "$DJL_SRC/api/src/main/native/djl/utils.h"; do
  [[ -f "$f" ]] || { echo "gpu-bundle: DJL_SRC=$DJL_SRC lacks $f (not a DJL checkout?)" >&2; exit 2; }
done
DJL_COMMIT="$(git -C "$DJL_SRC" rev-parse HEAD 2>/dev/null || echo unknown)"
DJL_TAG="$(git -C "$DJL_SRC" describe --tags --exact-match 2>/dev/null || echo "not at a tag")"

JAVA_HOME="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}"
for tool in jlink javac jdeps; do
  [[ -x "$JAVA_HOME/bin/$tool" ]] || { echo "gpu-bundle: $JAVA_HOME/bin/$tool not found (set JAVA_HOME to a JDK 17)" >&2; exit 2; }
done

t0=$(date +%s)
if [[ $BUILD == 1 ]]; then
  echo "gpu-bundle: building the engine (mvn package, tests skipped)"
  (cd "$ROOT" && mvn -B -ntp -q -DskipTests package -pl engine -am)
fi
CLI_JAR="$ROOT/engine/target/pixart-cli.jar"
LIB="$ROOT/engine/target/lib"
[[ -f "$CLI_JAR" && -d "$LIB" ]] || { echo "gpu-bundle: $CLI_JAR or $LIB missing: run without --no-build" >&2; exit 2; }

rm -rf "$OUT"
mkdir -p "$OUT/lib" "$OUT/jni/include/linux" "$OUT/golden/cases"

# 1. The engine's jars, without libtorch (pytorch-native-*) and DJL's prebuilt JNI (pytorch-jni-*):
#    the check builds the JNI against the GPU machine's own libtorch. commons-compress (and the
#    commons-io/-codec it brings) serve only DJL's model-zoo archive downloads, never reached offline.
cp "$CLI_JAR" "$OUT/lib/"
for j in "$LIB"/*.jar; do
  case "$(basename "$j")" in
    pytorch-native-*|pytorch-jni-*|commons-compress-*|commons-io-*|commons-codec-*) ;;
    *) cp "$j" "$OUT/lib/" ;;
  esac
done

# 2. A Java runtime with the modules the jars use (jdeps) plus what reflection/JNA reach.
MODULES="java.base,java.desktop,java.logging,java.management,jdk.management,java.compiler,java.sql,java.xml,jdk.unsupported,jdk.zipfs"
"$JAVA_HOME/bin/jlink" --add-modules "$MODULES" --output "$OUT/runtime" \
  --strip-debug --no-header-files --no-man-pages --compress=2
# Native symbol tables (libjvm.so alone carries 4 MB) and the desktop-only natives a headless
# engine never loads (X11 windows, splash screen, sound).
find "$OUT/runtime" -name '*.so' -exec strip --strip-unneeded {} +
rm -f "$OUT/runtime/lib/libawt_xawt.so" "$OUT/runtime/lib/libsplashscreen.so" "$OUT/runtime/lib/libjsound.so"

# 3. JNI headers: DJL's build runs `javac -h` on PyTorchLibrary.java; the same here, against api's jar.
HDR_TMP="$(mktemp -d)"
"$JAVA_HOME/bin/javac" -h "$OUT/jni/include" -d "$HDR_TMP" -cp "$LIB/api-0.33.0.jar" \
  -sourcepath "$DJL_SRC/engines/pytorch/pytorch-engine/src/main/java" "$PT_LIBRARY_JAVA"
rm -rf "$HDR_TMP"
cp "$JAVA_HOME/include/jni.h" "$OUT/jni/include/"
cp "$JAVA_HOME/include/linux/jni_md.h" "$OUT/jni/include/linux/"

# 4. The DJL sources the JNI build compiles (CMakeLists + native sources + djl/utils.h).
mkdir -p "$OUT/djl-src/engines/pytorch/pytorch-native/src/main" "$OUT/djl-src/api/src/main/native/djl"
cp "$PT_NATIVE/CMakeLists.txt" "$OUT/djl-src/engines/pytorch/pytorch-native/"
cp -r "$PT_NATIVE/src/main/native" "$OUT/djl-src/engines/pytorch/pytorch-native/src/main/"
cp "$DJL_SRC/api/src/main/native/djl/utils.h" "$OUT/djl-src/api/src/main/native/djl/"
printf 'commit %s (%s)\n' "$DJL_COMMIT" "$DJL_TAG" > "$OUT/djl-src/DJL_COMMIT"

# 5. Reference pipeline cases and the tiny pipelines they name.
GOLDEN="$ROOT/engine/src/test/resources/golden"
cp -r "$GOLDEN/cases/pipeline" "$OUT/golden/cases/"
for p in $(grep -ho '"pipeline_path": *"[^"]*"' "$GOLDEN"/cases/pipeline/*.json | sed 's/.*: *"\(.*\)"/\1/' | sort -u); do
  cp -r "$GOLDEN/$p" "$OUT/golden/"
done

# 6. The check.
cp "$ROOT/tools/gpu-check.sh" "$ROOT/tools/gpu-check-run.py" "$OUT/"
chmod +x "$OUT/gpu-check.sh"
{
  echo "pixart gpu-check bundle"
  echo "built $(date -u +%Y-%m-%dT%H:%MZ) from $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- engine tools || echo ' (with uncommitted changes)')"
  echo "DJL sources: commit $DJL_COMMIT ($DJL_TAG)"
  echo "java runtime: $("$OUT/runtime/bin/java" -version 2>&1 | head -1), modules $MODULES"
} > "$OUT/BUNDLE_INFO"

t1=$(date +%s)
size=$(du -sb "$OUT" | cut -f1)
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1000000 }'; }
printf 'gpu-bundle: %s  %s MB  (built in %d s)\n' "$OUT" "$(mb "$size")" $((t1 - t0))
du -sh "$OUT"/* | sed 's/^/  /'
if [[ $TAR == 1 ]]; then
  tar -C "$(dirname "$OUT")" -czf "$OUT.tar.gz" "$(basename "$OUT")"
  printf 'gpu-bundle: %s.tar.gz  %s MB\n' "$OUT" "$(mb "$(stat -c %s "$OUT.tar.gz")")"
fi
if (( size > 60000000 )); then
  echo "gpu-bundle: the bundle is over 60 MB" >&2
  exit 1
fi
