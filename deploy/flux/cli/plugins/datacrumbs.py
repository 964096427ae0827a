"""DataCrumbs I/O tracing for this job.

Trace the job's I/O with DataCrumbs on every node of the job:

    flux run --datacrumbs-enable --datacrumbs-probe-file probes.json.gz ...

--datacrumbs-enable            ask for tracing (requires a probe file)
--datacrumbs-probe-file PATH   the signed probes file to trace with, readable
                               by you; a relative path is taken relative to
                               the current directory

The request is stored in the jobspec as attributes.system.datacrumbs
({"enable": "yes", "probe_file": "/absolute/path"}); the prolog on each node
hands it to the node's datacrumbs daemon. If tracing cannot start, the job
runs untraced (unless the site chose otherwise) and a non-fatal job exception
of type "datacrumbs" says why: see `flux job eventlog JOBID`.

A problem seen at submit time never stops the submission; one line starting
"datacrumbs:" says it on your terminal. A probe file without
--datacrumbs-enable is ignored (the job runs untraced). A probe file that is
missing, unreadable or not a regular file is still sent with the request: the
job's nodes check it again, as you, and the site's policy decides (the job
runs untraced with an exception saying why, or is canceled).
"""

# Installed as /etc/datacrumbs/flux/cli/plugins/datacrumbs.py and found by the
# flux CLI through FLUX_CLI_PLUGINPATH or a link from <confdir>/cli/plugins.
#
# Flux instantiates every public CLIPlugin subclass in this module as cls(prog):
# keep exactly one public class here; helpers are private (leading underscore).
#
# Checks happen twice:
#  - in the CLI (preinit/modify_jobspec), as the submitting user, in the
#    user's working directory: the path is made absolute and the file should
#    be a readable, non-empty regular file. What the user may have meant or
#    may fix before the job starts (a probe file without --datacrumbs-enable,
#    a file missing, unreadable, a directory...) is one "datacrumbs:" line on
#    stderr, and the job is submitted: untraced without enable, else with the
#    request, so the node's daemon decides by its on-failure policy (the
#    lead's decision for issue 13, point 3). Only what cannot be carried at
#    all (enable without a file, a path with control characters, not UTF-8,
#    too long) is a ValueError, printed by the CLI as
#    `flux-run: ERROR: <message>`, and nothing is submitted.
#  - in job-ingest's validator (validate), which sees jobs submitted without
#    this plugin too (hand-written jobspecs, --setattr, the Python API). It
#    only checks the attribute's shape: it runs as the instance owner on the
#    rank 0 node, so it can neither judge what the user may read nor afford
#    to block every submission on a slow or hung network filesystem. The node
#    daemon re-checks the file as the job's user before tracing.

import os
import stat
import sys
import unicodedata

import flux.cli.plugin

_ATTRIBUTE = "system.datacrumbs"
_ENABLE_OPTION = "--datacrumbs-enable"
_FILE_OPTION = "--datacrumbs-probe-file"
_PATH_MAX = 4096  # bytes, Linux PATH_MAX including the terminating NUL


def _printable(text):
    """Show hostile text in one line: control and undecodable characters escaped."""
    out = []
    for c in text[:256]:
        if unicodedata.category(c) in ("Cc", "Cs"):
            out.append("\\x%02x" % (ord(c) & 0xFF))
        else:
            out.append(c)
    if len(text) > 256:
        out.append("...")
    return "".join(out)


def _path_problem(path):
    """Why this path cannot go into the jobspec, or None. No filesystem access."""
    if path == "":
        return "the path is empty"
    for c in path:
        category = unicodedata.category(c)
        if category == "Cs":
            # argv bytes that are not UTF-8 arrive as lone surrogates
            return "the path is not valid UTF-8"
        if category == "Cc":
            # a newline or other control character could forge lines in the
            # env file and logs downstream: refuse, never escape
            return "the path contains a control character (\\x%02x)" % ord(c)
    if len(path.encode("utf-8")) >= _PATH_MAX:
        return "the path is longer than %d bytes" % (_PATH_MAX - 1)
    return None


def _absolute(path):
    """Anchor a relative path at the current directory, without resolving '..'.

    os.path.abspath would collapse 'a/../b' lexically, which names a different
    file when 'a' is a symbolic link; the kernel resolves it correctly later.
    """
    if os.path.isabs(path):
        return path
    return os.path.join(os.getcwd(), path)


def _file_problem(path):
    """Why the submitting user cannot use this probes file, or None."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "no such file"
    except NotADirectoryError:
        return "no such file (a component of the path is not a directory)"
    except PermissionError:
        return "cannot be reached (permission denied on a directory in the path)"
    except OSError as e:
        return "cannot be checked: %s" % (e.strerror or e)
    if stat.S_ISDIR(st.st_mode):
        return "is a directory, not a probes file"
    if not stat.S_ISREG(st.st_mode):
        return "is not a regular file"
    if st.st_size == 0:
        return "is empty"
    try:
        # O_NONBLOCK: never wait on a file that turned into a FIFO meanwhile
        fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except PermissionError:
        return "is not readable by you (permission denied)"
    except OSError as e:
        return "cannot be opened: %s" % (e.strerror or e)
    os.close(fd)
    return None


def _request_from(enable, probe_file):
    """(attribute value or None, note for the user or None); ValueError if the
    options cannot be carried at all."""
    if not enable and probe_file is None:
        return None, None
    if not enable:
        # Tracing runs a root tracer beside the job: it must be asked for
        # explicitly, not switched on by a leftover option in a script.
        return None, (
            "%s is ignored without %s: this job runs untraced (add %s to trace it)"
            % (_FILE_OPTION, _ENABLE_OPTION, _ENABLE_OPTION)
        )
    if probe_file is None:
        raise ValueError(
            "%s requires %s PATH (the signed probes file to trace with)"
            % (_ENABLE_OPTION, _FILE_OPTION)
        )
    problem = _path_problem(probe_file)
    if problem:
        raise ValueError("%s: %s" % (_FILE_OPTION, problem))
    path = _absolute(probe_file)
    problem = _path_problem(path)  # the working directory may add to the length
    if problem:
        raise ValueError("%s: %s" % (_FILE_OPTION, problem))
    request = {"enable": "yes", "probe_file": path}
    problem = _file_problem(path)
    if problem:
        # The file may appear before the job starts, and only the node knows
        # its policy: carry the request, say what we saw.
        return request, (
            "%s %s: %s; the request is sent anyway: the job's nodes check the "
            "file again and the site's policy decides whether the job runs "
            "untraced or is canceled" % (_FILE_OPTION, _printable(path), problem)
        )
    return request, None


def _attribute_problem(value):
    """Why an attributes.system.datacrumbs value is malformed, or None."""
    if not isinstance(value, dict):
        return "must be an object like {\"enable\": \"yes\", \"probe_file\": \"/abs/path\"}"
    unknown = sorted(set(value) - {"enable", "probe_file"})
    if unknown:
        return "has unknown key(s): %s" % ", ".join(_printable(str(k)) for k in unknown)
    if value.get("enable") != "yes":
        return "enable must be \"yes\""
    path = value.get("probe_file")
    if not isinstance(path, str):
        return "probe_file must be a string"
    problem = _path_problem(path)
    if problem:
        return "probe_file: " + problem
    if not path.startswith("/"):
        return "probe_file must be an absolute path, not '%s'" % _printable(path)
    return None


class DataCrumbsPlugin(flux.cli.plugin.CLIPlugin):
    """DataCrumbs I/O tracing: --datacrumbs-enable --datacrumbs-probe-file PATH.

    Trace this job's I/O with DataCrumbs on every node of the job, using the
    signed probes file PATH (relative paths are taken from the current
    directory). If tracing cannot start, the job still runs and a non-fatal
    job exception of type "datacrumbs" says why (see `flux job eventlog`).
    """

    def __init__(self, prog, prefix="datacrumbs"):
        super().__init__(prog, prefix=prefix)
        # Notes already printed: flux calls preinit once per job, and
        # --cc=1-100 must not print the same line a hundred times.
        self._told = set()
        # Explicit dest names: flux-core before 0.84 derived the unprefixed
        # dest ("enable"), 0.84 and later the prefixed one behind an args
        # proxy. An explicit dest is used as given by both, and cannot collide
        # with another plugin's generic "enable".
        self.add_option(
            "--enable",
            action="store_true",
            dest="datacrumbs_enable",
            help="Trace this job's I/O with DataCrumbs "
            "(requires --datacrumbs-probe-file)",
        )
        self.add_option(
            "--probe-file",
            metavar="PATH",
            dest="datacrumbs_probe_file",
            help="Signed DataCrumbs probes file to trace with "
            "(requires --datacrumbs-enable)",
        )

    @staticmethod
    def _request(args):
        """(attribute value or None, note or None) for the options in args."""
        answer = _request_from(
            getattr(args, "datacrumbs_enable", False),
            getattr(args, "datacrumbs_probe_file", None),
        )
        if answer == (None, None):
            # With --cc, --bcc and bulksubmit, flux-core 0.88 builds the
            # namespace given here from vars() of its per-job wrapper (Xcmd),
            # which holds no plugin option: they arrive as None and the job
            # would silently run untraced. The wrapper keeps the parsed
            # arguments as _orig_args, which vars() does carry.
            original = getattr(args, "_orig_args", None)
            if original is not None:
                answer = _request_from(
                    getattr(original, "datacrumbs_enable", False),
                    getattr(original, "datacrumbs_probe_file", None),
                )
        return answer

    def preinit(self, args):
        # Fail, or say what we saw, before the CLI does any other work.
        _, note = self._request(args)
        if note is not None and note not in self._told:
            self._told.add(note)
            sys.stderr.write("datacrumbs: %s\n" % note)
            sys.stderr.flush()

    def modify_jobspec(self, args, jobspec):
        request, _ = self._request(args)
        if request is not None:
            # One setattr of the whole object: replaces anything a
            # --setattr=system.datacrumbs.* put there, so the shape is exact.
            jobspec.setattr(_ATTRIBUTE, request)

    def validate(self, jobspec):
        attributes = jobspec.attributes or {}
        system = attributes.get("system") or {}
        if not isinstance(system, dict) or "datacrumbs" not in system:
            return
        problem = _attribute_problem(system["datacrumbs"])
        if problem:
            raise ValueError("attributes.system.datacrumbs " + problem)
