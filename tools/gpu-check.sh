#!/usr/bin/env bash
# The engine on this machine's GPU in one command, with one table of numbers.
#
#   bash gpu-check.sh [--out DIR] [--stages jni,goldens,bench,e2e,poster] [--device cuda|cpu]
#
# Runs from a bundle made by tools/gpu-bundle.sh (this file sits in it). Needs: Linux x86-64, a C++
# compiler, CMake, and a Python whose `torch` is the libtorch to run on (any recent version; CUDA
# for a GPU run). No Java, no Maven, no network: the bundle brings a Java runtime and the engine.
#
# 1. asks Python's torch where its libtorch is (torch.__path__, torch.utils.cmake_prefix_path,
#    torch.__version__, torch.version.cuda) and whether it sees a GPU;
# 2. builds DJL 0.33's PyTorch JNI library (djl_torch) against that libtorch, from DJL's sources
#    ($DJL_SRC, a checkout at v0.33.0; default: the copy in the bundle) and the JNI header the
#    bundle generated, and puts it where DJL 0.33's LibUtils looks for a libtorch given by
#    PYTORCH_LIBRARY_PATH: $ENGINE_CACHE_DIR/pytorch/<PYTORCH_VERSION>-<PYTORCH_FLAVOR>-linux-x86_64/
#    0.33.0-libdjl_torch.so (LibUtils.findJniLibrary);
# 3. runs the checks (gpu-check-run.py) and prints one table, also written to DIR/gpu-check.md,
#    with every command's log packed in DIR/gpu-check-logs.tar.gz.
#
# Environment: GPU_CHECK_BUDGET_S (seconds for everything, default 540), PYTHON (default python3),
# DJL_SRC, WORK (build and scratch space, default <bundle>/../gpu-check-work; the JNI build is
# reused when the same libtorch comes again), JOBS (compile jobs).
# Without a torch in Python (a rehearsal on a machine with a plain libtorch): LIBTORCH_DIR=<folder
# with lib/libtorch.so, include/ and share/cmake/Torch> and LIBTORCH_VERSION=x.y.z.
set -euo pipefail

BUNDLE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# One time budget for the whole check, JNI build included (GPU_CHECK_BUDGET_S, default 540 s: a
# lent GPU machine runs one command for at most 10 minutes); rows that would start after it are
# listed as not run.
DEADLINE=$(( $(date +%s) + ${GPU_CHECK_BUDGET_S:-540} ))
OUT_DIR="$BUNDLE/results"
STAGES="jni,goldens,bench,e2e,poster"
DEVICE=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) OUT_DIR="$2"; shift 2 ;;
    --stages) STAGES="$2"; shift 2 ;;
    --device) DEVICE="$2"; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "gpu-check: unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$OUT_DIR"
OUT_DIR="$(cd "$OUT_DIR" && pwd)"
# Beside the bundle, not in it: a new copy of the bundle leaves the JNI build and the real-size
# folder of an earlier run in place.
WORK="${WORK:-$BUNDLE/../gpu-check-work}"
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
# Every command's output goes to $WORK/logs; DIR gets just two files, the table and these logs
# packed (gpu-check-logs.tar.gz, refreshed after every row), so that little has to travel back.
LOGS="$WORK/logs"
rm -rf "$LOGS"
mkdir -p "$LOGS"
pack_logs() { tar -C "$WORK" -czf "$OUT_DIR/gpu-check-logs.tar.gz" logs 2>/dev/null || true; }
trap pack_logs EXIT
PYTHON="${PYTHON:-python3}"
DJL_SRC="${DJL_SRC:-$BUNDLE/djl-src}"
JOBS="${JOBS:-$(nproc)}"
JAVA="$BUNDLE/runtime/bin/java"
log() { printf '[gpu-check %s] %s\n' "$(date +%H:%M:%S)" "$*" | tee -a "$LOGS/gpu-check.log" >&2; }

[[ -x "$JAVA" ]] || { echo "gpu-check: $JAVA missing: run tools/gpu-bundle.sh first and copy the whole bundle" >&2; exit 2; }
[[ -f "$DJL_SRC/engines/pytorch/pytorch-native/CMakeLists.txt" ]] || {
  echo "gpu-check: DJL_SRC=$DJL_SRC is not a DJL checkout (engines/pytorch/pytorch-native/CMakeLists.txt missing)" >&2; exit 2; }
for tool in cmake c++; do
  command -v "$tool" >/dev/null || { echo "gpu-check: $tool not found" >&2; exit 2; }
done

# ---------------------------------------------------------------- 1. the machine's libtorch
PROBE="$LOGS/torch-probe.env"
if [[ -n "${LIBTORCH_DIR:-}" ]]; then
  [[ -f "$LIBTORCH_DIR/lib/libtorch.so" && -n "${LIBTORCH_VERSION:-}" ]] || {
    echo "gpu-check: LIBTORCH_DIR needs lib/libtorch.so, and LIBTORCH_VERSION must be set" >&2; exit 2; }
  cat > "$PROBE" <<EOF
TORCH_VERSION=$LIBTORCH_VERSION
TORCH_CUDA=
TORCH_LIB=$LIBTORCH_DIR/lib
TORCH_CMAKE_PREFIX=$LIBTORCH_DIR
TORCH_CUDA_AVAILABLE=0
GPU_NAME=
CUDART_DIR=
EOF
else
  "$PYTHON" - > "$PROBE" <<'EOF' || { echo "gpu-check: '$PYTHON' could not import torch (set PYTHON to the Python that has PyTorch, or LIBTORCH_DIR)" >&2; exit 2; }
import os, re, torch, torch.utils
lib = os.path.join(torch.__path__[0], "lib")
cuda = torch.version.cuda or ""
avail = torch.cuda.is_available()
name = torch.cuda.get_device_name(0) if avail else ""
cudart = ""
if avail:
    torch.zeros(1, device="cuda")  # loads the CUDA runtime; find the file torch uses
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if re.search(r"/libcudart\.so", path):
                cudart = os.path.dirname(path)
                break
    if not cudart:  # a torch with the runtime linked in: any CUDA runtime of the machine will do for DJL's count
        import glob
        found = sorted(glob.glob("/usr/local/cuda*/lib64/libcudart.so*") + glob.glob("/usr/lib/x86_64-linux-gnu/libcudart.so*"))
        cudart = os.path.dirname(found[-1]) if found else ""
print(f"TORCH_VERSION={torch.__version__}")
print(f"TORCH_CUDA={cuda}")
print(f"TORCH_LIB={lib}")
print(f"TORCH_CMAKE_PREFIX={torch.utils.cmake_prefix_path}")
print(f"TORCH_CUDA_AVAILABLE={1 if avail else 0}")
print(f"GPU_NAME={name}")
print(f"CUDART_DIR={cudart}")
EOF
fi
# shellcheck disable=SC1090
source "$PROBE"
[[ -f "$TORCH_LIB/libtorch.so" ]] || { echo "gpu-check: no libtorch.so in $TORCH_LIB" >&2; exit 2; }
# DJL names the cache folder after PYTORCH_VERSION; keep x.y.z (drop +cu130, a0, …).
PT_VERSION="$(sed -E 's/^([0-9]+\.[0-9]+\.[0-9]+).*/\1/' <<<"$TORCH_VERSION")"
if [[ -z "$DEVICE" ]]; then
  DEVICE=$([[ "$TORCH_CUDA_AVAILABLE" == 1 ]] && echo cuda || echo cpu)
fi
if [[ "$DEVICE" == cuda && "$TORCH_CUDA_AVAILABLE" != 1 ]]; then
  echo "gpu-check: --device cuda, but Python's torch $TORCH_VERSION sees no GPU" >&2; exit 2
fi
if [[ -n "${PYTORCH_FLAVOR:-}" ]]; then
  FLAVOR="$PYTORCH_FLAVOR"
elif [[ -n "$TORCH_CUDA" ]]; then
  FLAVOR="cu$(tr -d . <<<"$TORCH_CUDA")"   # 13.0 -> cu130, as DJL names CUDA flavours
else
  FLAVOR=cpu
fi
log "libtorch $TORCH_VERSION (flavor $FLAVOR) in $TORCH_LIB; device $DEVICE ${GPU_NAME:+($GPU_NAME)}"
if [[ "$DEVICE" == cuda && -z "$CUDART_DIR" ]]; then
  log "warning: no libcudart found; DJL counts GPUs through it (JNA) and may then see none"
fi

# Where DJL 0.33 looks: LibUtils.findJniLibrary, override branch (PYTORCH_LIBRARY_PATH set):
# first <libtorch dir>/0.33.0-libdjl_torch.so, then <ENGINE_CACHE_DIR>/pytorch/<version>-<flavor>-<classifier>/.
# The libtorch folder may belong to Python's site-packages; the cache folder is ours.
export ENGINE_CACHE_DIR="$WORK/djl-cache"
JNI_DIR="$ENGINE_CACHE_DIR/pytorch/$PT_VERSION-$FLAVOR-linux-x86_64"
JNI_LIB="$JNI_DIR/0.33.0-libdjl_torch.so"

# ---------------------------------------------------------------- 2. DJL's JNI against it
STAMP="$TORCH_VERSION $TORCH_LIB $(cat "$DJL_SRC/DJL_COMMIT" 2>/dev/null || git -C "$DJL_SRC" rev-parse HEAD 2>/dev/null || echo '?')"
if [[ ",$STAGES," == *,jni,* ]] && { [[ ! -f "$JNI_LIB" ]] || [[ "$(cat "$JNI_DIR/STAMP" 2>/dev/null)" != "$STAMP" ]]; }; then
  SRC="$WORK/jni-src"
  BLD="$WORK/jni-build-$PT_VERSION-$FLAVOR"
  rm -rf "$SRC" "$BLD"
  mkdir -p "$SRC" "$BLD"
  # A copy: CMakeLists.txt includes build/include under its own folder; DJL's checkout stays untouched.
  cp "$DJL_SRC/engines/pytorch/pytorch-native/CMakeLists.txt" "$SRC/"
  mkdir -p "$SRC/src/main" "$SRC/build/include"
  cp -r "$DJL_SRC/engines/pytorch/pytorch-native/src/main/native" "$SRC/src/main/"
  cp "$BUNDLE"/jni/include/ai_djl_pytorch_jni_PyTorchLibrary*.h "$SRC/build/include/"
  PT_DEF=""
  # DJL's build.sh: 1.13.1, 2.0.1 and 2.1.x need the V1_13_X code paths.
  if [[ "$PT_VERSION" =~ ^1\.13\.|^2\.0\.|^2\.1\. ]]; then PT_DEF="-DPT_VERSION=V1_13_X"; fi
  # DJL 0.33 compiles as C++17; libtorch's headers demand C++20 from about 2.10 on ("#error C++20 or
  # later compatible compiler is required to use ATen", and CXX_STANDARD 20 in TorchConfig.cmake):
  # then our copy of the CMakeLists says 20.
  if grep -qs "C++20 or later" "$TORCH_LIB/../include/ATen/ATen.h" \
      || grep -qs "CXX_STANDARD 20" "$TORCH_CMAKE_PREFIX/Torch/TorchConfig.cmake" \
      || [[ -n "${JNI_CXX20:-}" ]]; then
    sed -i 's/CXX_STANDARD 17/CXX_STANDARD 20/' "$SRC/CMakeLists.txt"
    log "libtorch's headers ask for C++20: building the JNI as C++20"
  fi
  log "building DJL's JNI (djl_torch) against libtorch $TORCH_VERSION with $JOBS jobs"
  t0=$(date +%s)
  # USE_CUDA only adds emptyCache and a separate inference stream, which the engine never calls:
  # leaving it off keeps CUDA headers out of the build; CUDA kernels come from libtorch_cuda,
  # which DJL loads before the JNI library.
  if ! cmake -S "$SRC" -B "$BLD" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$TORCH_CMAKE_PREFIX" $PT_DEF \
        -DUTILS_INCLUDE_DIR="$DJL_SRC/api/src/main/native" \
        -DJAVA_INCLUDE_PATH="$BUNDLE/jni/include" -DJAVA_INCLUDE_PATH2="$BUNDLE/jni/include/linux" \
        -DJAVA_AWT_INCLUDE_PATH=NotNeeded -DJAVA_AWT_LIBRARY=NotNeeded \
        -DJAVA_JVM_LIBRARY="$BUNDLE/runtime/lib/server/libjvm.so" \
        > "$LOGS/jni-cmake.log" 2>&1; then
    tail -30 "$LOGS/jni-cmake.log" >&2
    echo "gpu-check: CMake could not configure the JNI build (log: $LOGS/jni-cmake.log, packed in $OUT_DIR/gpu-check-logs.tar.gz)" >&2
    exit 3
  fi
  if ! cmake --build "$BLD" -j "$JOBS" > "$LOGS/jni-build.log" 2>&1; then
    grep -m 20 -E "error|Error" "$LOGS/jni-build.log" >&2 || tail -30 "$LOGS/jni-build.log" >&2
    echo "gpu-check: the JNI build failed against libtorch $TORCH_VERSION (log: $LOGS/jni-build.log, packed in $OUT_DIR/gpu-check-logs.tar.gz)" >&2
    exit 3
  fi
  mkdir -p "$JNI_DIR"
  cp "$BLD/libdjl_torch.so" "$JNI_LIB.tmp" && mv "$JNI_LIB.tmp" "$JNI_LIB"
  echo "$STAMP" > "$JNI_DIR/STAMP"
  echo "$(( $(date +%s) - t0 ))" > "$JNI_DIR/BUILD_SECONDS"
  log "JNI built in $(cat "$JNI_DIR/BUILD_SECONDS") s: $JNI_LIB"
elif [[ -f "$JNI_LIB" ]]; then
  log "JNI from an earlier build: $JNI_LIB"
else
  echo "gpu-check: no JNI library at $JNI_LIB and the jni stage was not asked for" >&2; exit 3
fi

# ---------------------------------------------------------------- 3. run the engine there
export PYTORCH_LIBRARY_PATH="$TORCH_LIB"
export PYTORCH_VERSION="$PT_VERSION"
export PYTORCH_FLAVOR="$FLAVOR"
export DJL_OFFLINE=true
# LibUtils.loadLibTorch System.loads every library in that folder; Python's torch/lib also holds
# test and Python-only libraries the engine has no use for.
export PYTORCH_LIBRARY_EXCLUSION="${PYTORCH_LIBRARY_EXCLUSION:-libtorch_python.so,libshm.so,libtorchbind_test.so,libjitbackend_test.so,libbackend_with_compiler.so,libaoti_custom_ops.so}"
# DJL counts GPUs through libcudart loaded by JNA (CudaUtils): show it the runtime torch uses.
if [[ -n "$CUDART_DIR" ]]; then
  export LD_LIBRARY_PATH="$CUDART_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
JAVA_CMD=("$JAVA" -Xss4m -Xmx${JAVA_HEAP:-24g} -Djava.awt.headless=true -Dai.djl.offline=true
          ${CUDART_DIR:+-Djna.library.path=$CUDART_DIR} -cp "$BUNDLE/lib/*" studio.pixart.engine.cli.PixArtCli)
printf '%q ' "${JAVA_CMD[@]}" > "$LOGS/java-command.txt"

trap - EXIT
exec "$PYTHON" "$BUNDLE/gpu-check-run.py" --bundle "$BUNDLE" --out "$OUT_DIR" --logs "$LOGS" --work "$WORK" \
  --stages "$STAGES" --device "$DEVICE" --torch "$TORCH_VERSION" --flavor "$FLAVOR" --gpu-name "$GPU_NAME" \
  --jni "$JNI_LIB" --deadline "$DEADLINE" -- "${JAVA_CMD[@]}"
