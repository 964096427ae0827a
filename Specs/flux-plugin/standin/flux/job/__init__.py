from flux.job.Jobspec import Jobspec, JobspecV1, validate_jobspec  # noqa: F401
