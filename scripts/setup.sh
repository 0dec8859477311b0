#!/usr/bin/env bash
# Set up everything kwsapp needs on a Debian/Ubuntu machine: system packages (when missing) and a
# virtual environment in .venv with the project and its test tools. Safe to run again: it only
# installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  python3-venv
  espeak-ng sox                                   # synthetic speech
  festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts   # more synthetic voices (trainer synth --engine festival)
  flite                                           # voices never trained on, for bench.bench_new_voices
  libportaudio2                                   # sounddevice
  pulseaudio pulseaudio-utils libasound2-plugins  # a virtual microphone for end-to-end tests
  libglib2.0-0 libgl1 libxkbcommon0 libegl1 libfreetype6 libfontconfig1 libdbus-1-3   # Qt
  libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0        # Qt on X11
  xvfb
  dbus dunst libnotify-bin desktop-file-utils     # notifications (notify-send) and the tests of the desktop entry
  weston wtype                                    # Wayland: a headless compositor for the tests; typing there
)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${APT_PACKAGES[@]}" xauth; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  # xauth is named alone, without recommends (it would pull in a desktop's worth otherwise)
  others=(); for p in "${missing[@]}"; do [ "$p" = xauth ] || others+=("$p"); done
  [ ${#others[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${others[@]}" >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends xauth >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.kwsapp-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing Python packages into .venv (TensorFlow is large: the first time takes minutes)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[test]"
  touch "$stamp"
fi
