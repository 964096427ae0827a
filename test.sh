#!/bin/bash
# test.sh: the whole test suite (xunit specs and the Flux plugin's Python tests), then one
# summary line "N passed, N failed". Needs root (sandboxed systemd, real users); see .ci/run.
set -uo pipefail
cd "$(dirname "$0")"
if [ "$(id -u)" -ne 0 ]; then
  echo "test.sh: run as root: the specs start a sandboxed systemd and act as real users" >&2
  exit 2
fi
# The real unprivileged users the authorization and probe-readability specs act as, and the Flux
# instance owner (idempotent).
for user in dcalice dcbob; do id "$user" >/dev/null 2>&1 || useradd --create-home --user-group --shell /bin/bash "$user"; done
id flux >/dev/null 2>&1 || useradd --system --create-home --user-group --shell /bin/bash flux

log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

dotnet test datacrumbs.sln --nologo 2>&1 | tee "$log/dotnet.txt"
dotnet_rc=${PIPESTATUS[0]}
python3 -m unittest discover -s Specs/flux-plugin -t Specs/flux-plugin 2>&1 | tee "$log/python.txt"
python_rc=${PIPESTATUS[0]}

# dotnet: "Passed!  - Failed:     0, Passed:    21, Skipped: ..." one line per test assembly
passed=$(grep -hoE 'Passed: +[0-9]+' "$log/dotnet.txt" | grep -oE '[0-9]+' | awk '{s+=$1} END {print s+0}')
failed=$(grep -hoE 'Failed: +[0-9]+' "$log/dotnet.txt" | grep -oE '[0-9]+' | awk '{s+=$1} END {print s+0}')
# unittest: "Ran N tests" then "OK" or "FAILED (failures=F, errors=E)"
ran=$(grep -oE '^Ran [0-9]+' "$log/python.txt" | grep -oE '[0-9]+' || echo 0)
py_failed=$(grep -oE '(failures|errors)=[0-9]+' "$log/python.txt" | grep -oE '[0-9]+' | awk '{s+=$1} END {print s+0}')
passed=$(( ${passed:-0} + ran - ${py_failed:-0} ))
failed=$(( ${failed:-0} + ${py_failed:-0} ))
# A build failure runs no test: count it as a failure, never as success.
if [ "$dotnet_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
if [ "$python_rc" -ne 0 ] && [ "${py_failed:-0}" -eq 0 ]; then failed=$((failed + 1)); fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
