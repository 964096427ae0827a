#!/bin/bash
# REFERENCE ONLY, for the benchmarks: the shell epilog that goes with datacrumbs_service_run.sh
# here. Stops the tracer (systemctl stop, or SIGTERM to its process group and a wait), removes
# the job's files. Not measured; it only cleans up between samples.
set -u
run_dir=${DATACRUMBS_RUN_DIR:-/run/datacrumbs}
job=${FLUX_JOB_ID:?}
case ${REFERENCE_BACKEND:-process} in
  systemd) systemctl stop "datacrumbs@$job.service" ;;
  *) if pid=$(cat "$run_dir/datacrumbs-$job.pid" 2>/dev/null); then
       kill -TERM -- "-$pid" 2>/dev/null
       for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
       kill -KILL -- "-$pid" 2>/dev/null
     fi ;;
esac
rm -f "$run_dir/datacrumbs-$job.env" "$run_dir/datacrumbs-$job.pid" "$run_dir/datacrumbs-$job.ready"
