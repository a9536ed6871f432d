# Sourced by scripts/serve and scripts/test: make .venv match a requirements file.
# Reinstalls only when the requirements changed since the last install.
ensure_venv() {
  local req="$1"
  local py="${PYTHON:-python3}"
  if [ ! -x .venv/bin/python ]; then
    echo "==> Creating .venv"
    "$py" -m venv .venv
  fi
  local stamp=".venv/.installed-$(basename "$req")"
  local want
  want=$(cat requirements*.txt | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "==> Installing $req"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$req"
    echo "$want" > "$stamp"
  fi
}
