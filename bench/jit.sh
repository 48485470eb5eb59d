# Sourced by bench/run.sh and bench/reconcile.sh, with SLUICE set to the service's pid: how long the JIT compiler
# has worked, so warm-up can go on until it has settled. Without jstat (a JRE alone) there is no reading: warm-up
# then stops after one round, and the line it prints says so.
compile_seconds() { { jstat -compiler "$SLUICE" 2>/dev/null || true; } | awk 'NR == 2 {print $4}'; }
# Whether the compiler spent under $2 seconds since the reading $1.
compiler_settled() {
  local now
  now=$(compile_seconds)
  [ -z "$1" ] || [ -z "$now" ] || python3 -c "import sys; sys.exit(0 if $now - $1 < $2 else 1)"
}
compiler_total() {
  local total
  total=$(compile_seconds)
  if [ -n "$total" ]; then echo "$total s of compiler time in all"; else echo "compiler time unknown (no jstat)"; fi
}
