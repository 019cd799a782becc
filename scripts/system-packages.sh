#!/usr/bin/env bash
# Installs the system programs Jifen's tests and benchmarks use, when missing:
# nginx (the gateway), docker-compose (validates docker-compose.yml without an
# engine), zsh (the completion test) and, for benchmarks, wrk. Needs root for
# apt-get; otherwise it says what to install and fails.
set -euo pipefail

want=("$@")
[ ${#want[@]} -gt 0 ] || want=(nginx docker-compose)

missing=()
for prog in "${want[@]}"; do
  case "$prog" in
    nginx) command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light) ;;
    docker-compose) command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || missing+=(docker-compose) ;;
    wrk) command -v wrk >/dev/null 2>&1 || missing+=(wrk) ;;
    zsh) command -v zsh >/dev/null 2>&1 || missing+=(zsh) ;;
    *) echo "unknown program: $prog" >&2; exit 2 ;;
  esac
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages: ${missing[*]}" >&2
  echo "Install them first, e.g.: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing system packages: ${missing[*]} (no apt-get here: install them with your package manager)" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
