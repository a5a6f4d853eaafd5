#!/usr/bin/env bash
# The modAL interop environment: modAL-python 0.4.2.1 needs scikit-learn<1.8 (it
# passes force_all_finite, removed in 1.8) and declares no usable pins, so it is
# installed with --no-deps next to an older scikit-learn, and only the interop
# tests run here; the main suite stays on the newest scikit-learn.
#
# Usage: .ci/modal_env.sh [VENV_DIR] [PYTEST_ARGS...]
#   VENV_DIR defaults to .venv-modal in the repository root (reused when it exists).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${1:-$ROOT/.venv-modal}"
shift || true
PYTHON="${PYTHON:-python3}"
CONSTRAINTS="$ROOT/.ci/constraints.txt"

if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)
# The constraints keep torch on the local CPU wheel instead of a CUDA build.
# modAL imports pandas at module level (modAL.utils.data) without declaring it.
"${PIP[@]}" install -c "$CONSTRAINTS" "scikit-learn<1.8" pandas pytest "$ROOT"
"${PIP[@]}" install --no-deps "modAL-python==0.4.2.1"

cd "$ROOT"
# The interop tests, plus the strategy contract over every registered strategy, which
# adds modAL's learners to its classifiers when modAL imports, plus the method tests that
# drive modAL's learner. -p no:cacheprovider: no .pytest_cache left behind.
"$VENV/bin/python" -m pytest -p no:cacheprovider -q tests/test_modal_interop.py \
    tests/test_query_common.py "$@"
"$VENV/bin/python" -m pytest -p no:cacheprovider -q tests/test_active_loop.py -k modal "$@"
"$VENV/bin/python" -m pytest -p no:cacheprovider -q tests/test_assal.py tests/test_vaal.py \
    -k modal "$@"
