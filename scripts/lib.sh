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

# Installs the pinned npm packages (contract compiler, OpenZeppelin Contracts, local chain)
# where a package.json asks, again whenever package-lock.json changed since the last install.
ensure_npm_packages() {
  local dir marker
  for dir in anchor/contracts; do
    marker="$dir/node_modules/.provreg-package-lock.json"
    if [ -f "$dir/package-lock.json" ] && ! cmp -s "$dir/package-lock.json" "$marker"; then
      echo "installing npm packages in $dir…" >&2
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
      cp "$dir/package-lock.json" "$marker"
    fi
  done
}
