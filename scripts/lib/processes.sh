# Process and port helpers shared by scripts/test-env and
# scripts/buildkit-fleet (sourced; each defines its own `log`).

# Whether process $1 runs (a zombie counts as gone: this machine's init can
# take a while to reap an orphan, and `kill -0` still finds one) and, with
# $2, whether its command line holds $2 (its pid may since name another
# process).
pid_alive() {
  [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" || return 1
  [ -z "${2:-}" ] || tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q -- "$2"
}

# Whether something accepts connections on 127.0.0.1:$1.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Frees 127.0.0.1:$1 from the processes matching $2 (a pkill pattern),
# described as $3: the same daemon of another test root (or one whose pid
# file is gone) would answer in our place with certificates or keys that
# are not ours, or keep ours from binding.
free_port() {
  local port="$1" pattern="$2" what="$3"
  port_open "$port" || return 0
  log "127.0.0.1:$port is held by $what: stopping it"
  pkill -f "$pattern" 2>/dev/null || true
  for _ in $(seq 1 60); do
    port_open "$port" || return 0
    sleep 0.5
  done
  pkill -9 -f "$pattern" 2>/dev/null || true
  sleep 0.5
}
