#!/usr/bin/env python3
"""Stand-in for the submission path of `flux run|submit|batch|alloc` (see README.md).

Usage: flux_cli.py PROG [--flags=novalidate] [plugin options] [--] COMMAND...
Prints the jobspec that would be submitted, as JSON, after job-ingest's
validation; errors are reported as `flux-PROG: ERROR: <message>`, exit 1.
"""

import argparse
import logging
import os
import sys

import flux.util
from flux.cli.plugin import CLIPluginRegistry
from flux.job import JobspecV1, validate_jobspec


def _submit(prog, argv):
    plugins = CLIPluginRegistry(prog)
    parser = argparse.ArgumentParser(prog=f"flux-{prog}")
    parser.add_argument("--flags", action="append")
    group = parser.add_argument_group("Options provided by plugins")
    for option in plugins.options:
        group.add_argument(option.name, **option.kwargs)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)

    # cli/base.py MiniCmd.jobspec_create: preinit, init_jobspec, modify_jobspec
    plugins.preinit(args)
    jobspec = JobspecV1.from_command(args.command or ["true"], cwd=os.getcwd())
    plugins.modify_jobspec(args, jobspec)

    # job-ingest: the jobspec validator plugin, with its own registry
    flags = ",".join(args.flags or []).split(",")
    if "novalidate" not in flags:
        _, received = validate_jobspec(jobspec.dumps())
        CLIPluginRegistry("validate").validate(received)
    print(jobspec.dumps())


def main():
    prog = sys.argv[1]
    logger = logging.getLogger(f"flux-{prog}")
    flux.util.CLIMain(logger)(lambda: _submit(prog, sys.argv[2:]))


if __name__ == "__main__":
    main()
