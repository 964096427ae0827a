# measure-daemon.sh: sourced by the real-Flux measurement scripts (measure-hook-overhead.sh,
# measure-prolog-phase.sh). Not a program: it defines start_measure_daemon, nothing else.
#
# start_measure_daemon WORK BIN UID [PROBE_OWNER]: a site secret in WORK/secret, a probe file the
# stand-in tracer accepts in WORK/jobs/probes.json.gz (the runtime's format, signed for UID, owned by
# PROBE_OWNER when given), and a Release datacrumbsd from BIN (process backend, the stand-in tracer,
# run dir WORK/run, FluxCommand $flux) started in the background: its pid in $daemon, its output in
# WORK/daemon.log. Returns once its hooks' socket is there (bounded: 30 s), or fails saying why.
start_measure_daemon() {
    local work="$1" bin="$2" uid="$3" owner="${4:-}"
    mkdir -p "$work/run" "$work/jobs"
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/secret"
    chmod 400 "$work/secret"
    python3 - "$work/secret" "$work/jobs/probes.json.gz" "$uid" <<'PY'
import gzip, hashlib, hmac, json, sys, time
secret, out, uid = open(sys.argv[1], "rb").read(), sys.argv[2], int(sys.argv[3])
summary = {"schema_version": "2", "expires_at": int(time.time()) + 86400, "uid": uid}
plain = json.dumps({"summary": summary, "categories": [], "checksum_algorithm": "hmac-sha256"},
                   separators=(",", ":")).replace("/", "\\/")
doc = {"summary": summary, "categories": [], "checksum_algorithm": "hmac-sha256",
       "checksum": hmac.new(secret, plain.encode(), hashlib.sha256).hexdigest()}
open(out, "wb").write(gzip.compress(json.dumps(doc).encode()))
PY
    [ -n "$owner" ] && chown "$owner" "$work/jobs/probes.json.gz"
    chmod 600 "$work/jobs/probes.json.gz"
    cat >"$work/datacrumbsd.json" <<JSON
{"RunDir":"$work/run","Backend":"Process","Log":"Console","Tracer":["$bin/datacrumbs-standin-tracer"],
 "TracerEnvironment":{"STANDIN_SECRET_FILE":"$work/secret","STANDIN_RUN_DIR":"$work/run"},
 "FluxCommand":"$flux","Probes":{"RequireSignature":true,"SecretFile":"$work/secret"},
 "Metrics":{"TextfileDirectory":""}}
JSON
    "$bin/datacrumbsd" --config "$work/datacrumbsd.json" >"$work/daemon.log" 2>&1 &
    daemon=$!
    # bounded wait for the daemon's socket (start-up only; nothing measured waits this way)
    for _ in $(seq 300); do [ -S "$work/run/hooks.sock" ] && break; sleep 0.1; done
    [ -S "$work/run/hooks.sock" ] || { echo "datacrumbsd did not start:" >&2; cat "$work/daemon.log" >&2; return 1; }
}
