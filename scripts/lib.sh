# Shared set-up steps of scripts/dev and scripts/test.

# Starts the local PostgreSQL cluster when nothing answers on 127.0.0.1:5432.
ensure_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    return
  fi
  echo "starting PostgreSQL…" >&2
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$version" ]; then
    echo "PostgreSQL is not installed; set PROVREG_TEST_POSTGRES_URL to a server" >&2
    exit 1
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && return
    sleep 1
  done
  echo "PostgreSQL did not start" >&2
  exit 1
}

# Installs the pinned npm packages where a package.json asks (anchor/contracts: contract
# compiler, OpenZeppelin Contracts, local chain; server/explorer: the explorer's graph library
# and its browser-test tools), again whenever package-lock.json changed since the last install.
ensure_npm_packages() {
  local dir marker
  for dir in anchor/contracts server/explorer; do
    marker="$dir/node_modules/.provreg-package-lock.json"
    if [ -f "$dir/package-lock.json" ] && ! cmp -s "$dir/package-lock.json" "$marker"; then
      echo "installing npm packages in $dir…" >&2
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
      cp "$dir/package-lock.json" "$marker"
    fi
  done
}

# Installs Debian's chromium, the browser the explorer's end-to-end tests drive, when it is
# missing (PROVREG_CHROMIUM names another one).
ensure_chromium() {
  if [ -x "${PROVREG_CHROMIUM:-/usr/bin/chromium}" ]; then
    return
  fi
  echo "installing chromium (Debian package) for the explorer's browser tests…" >&2
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium
}
