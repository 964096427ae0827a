#!/bin/bash
# REFERENCE ONLY, for the benchmarks (docs/performance.rst): the shell prolog flow that
# datacrumbsd replaces, as such scripts do it. Never installed.
#   1. resolve the job's tracing request: `flux job info ID jobspec`, probe file picked out of it
#   2. write the env file with printenv
#   3. start the tracer: `systemctl start datacrumbs@ID.service` (REFERENCE_BACKEND=systemd), or
#      the process equivalent `setsid TRACER PROBE_FILE RUN_ID USER &` (the runtime's command line)
#   4. poll for the ready file with `sleep 1`
# Environment: FLUX_JOB_ID, FLUX_JOB_USERID; DATACRUMBS_FLUX (flux command), DATACRUMBS_RUN_DIR,
# DATACRUMBS_TRACER (process backend), REFERENCE_BACKEND (process|systemd).
set -u
run_dir=${DATACRUMBS_RUN_DIR:-/run/datacrumbs}
flux=${DATACRUMBS_FLUX:-flux}
job=${FLUX_JOB_ID:?}

jobspec=$("$flux" job info "$job" jobspec) || { echo "datacrumbs: $job: flux job info failed"; exit 1; }
# What jq would do, without its process start: favours the reference.
[[ $jobspec =~ \"probe_file\":\"([^\"]*)\" ]] || { echo "datacrumbs: $job: not requested"; exit 0; }
probe_file=${BASH_REMATCH[1]}

export DATACRUMBS_JOB_ID=$job
export DATACRUMBS_USER=$(id -nu "$FLUX_JOB_USERID")
export DATACRUMBS_UID=$FLUX_JOB_USERID
export DATACRUMBS_PROBE_FILE=$probe_file
export DATACRUMBS_READY_FILE=$run_dir/datacrumbs-$job.ready
export DATACRUMBS_RUN_ID=$job
printenv | grep '^DATACRUMBS_' > "$run_dir/datacrumbs-$job.env"

case ${REFERENCE_BACKEND:-process} in
  systemd) systemctl start "datacrumbs@$job.service" || { echo "datacrumbs: $job: start failed"; exit 1; } ;;
  *) setsid "${DATACRUMBS_TRACER:?}" "$probe_file" "$job" "$DATACRUMBS_USER" </dev/null >/dev/null 2>&1 &
     echo $! > "$run_dir/datacrumbs-$job.pid" ;;
esac

while [ ! -e "$DATACRUMBS_READY_FILE" ]; do sleep 1; done
echo "datacrumbs: $job: ready"
