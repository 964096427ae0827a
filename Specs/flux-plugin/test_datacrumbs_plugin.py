"""The DataCrumbs Flux CLI plugin against a stand-in of the flux bindings.

Run from the repository root:
    python3 -m unittest discover -s Specs/flux-plugin -v

The submission path runs as a real process (standin/flux_cli.py, shaped like
`flux run`), so the tests see exactly what a user sees: the exit code, the
`flux-run: ERROR: ...` line on stderr, or the jobspec that would be submitted.
"""

import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
STANDIN = os.path.join(HERE, "standin")
PLUGIN_DIR = os.path.join(REPO, "deploy", "flux", "cli", "plugins")
FLUX_CLI = os.path.join(STANDIN, "flux_cli.py")

sys.path.insert(0, STANDIN)
os.environ["FLUX_CLI_PLUGINPATH_OVERRIDE"] = PLUGIN_DIR

from flux.cli.plugin import CLIPluginRegistry  # noqa: E402
from flux.job import JobspecV1, validate_jobspec  # noqa: E402

UNPRIVILEGED_USER = "dcalice"
SYSTEM_PYTHON = "/usr/bin/python3"


class _Result:
    def __init__(self, proc):
        self.code = proc.returncode
        self.stdout = proc.stdout.decode("utf-8", "replace")
        self.stderr = proc.stderr.decode("utf-8", "replace")

    @property
    def jobspec(self):
        return json.loads(self.stdout)

    @property
    def system(self):
        return self.jobspec["attributes"]["system"]


def submit(*args, prog="run", cwd, plugin_dir=PLUGIN_DIR, user=None):
    """Run the stand-in `flux PROG ARGS... true` in cwd, optionally as another user."""
    env = dict(os.environ)
    env["PYTHONPATH"] = STANDIN
    env["FLUX_CLI_PLUGINPATH_OVERRIDE"] = plugin_dir
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    python, preexec = sys.executable, None
    if user is not None:
        # the test's own interpreter may live where that user cannot reach (/root/...)
        python = SYSTEM_PYTHON
        pw = pwd.getpwnam(user)

        def preexec():
            os.setgroups([])
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)

    argv = [python, FLUX_CLI, prog, *args, "true"]
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, timeout=60, preexec_fn=preexec)
    return _Result(proc)


class _WithProbeFile(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="dc-plugin-")
        os.chmod(self.dir, 0o755)  # other users must reach it in the permission tests
        self.addCleanup(shutil.rmtree, self.dir)
        self.probes = os.path.join(self.dir, "probes.json.gz")
        with open(self.probes, "wb") as f:
            f.write(b"\x1f\x8b signed probes")

    def assertRejected(self, result, message, prog="run"):
        self.assertEqual(result.code, 1, result.stderr + result.stdout)
        self.assertEqual(result.stderr, f"flux-{prog}: ERROR: {message}\n")
        self.assertEqual(result.stdout, "", "nothing may be submitted")


class WithoutTheOptions(_WithProbeFile):
    def test_the_jobspec_is_exactly_what_flux_builds_without_the_plugin(self):
        with_plugin = submit(cwd=self.dir)
        without_plugin = submit(cwd=self.dir, plugin_dir="")
        self.assertEqual(with_plugin.code, 0, with_plugin.stderr)
        self.assertEqual(with_plugin.stderr, "")
        self.assertEqual(with_plugin.jobspec, without_plugin.jobspec)
        self.assertNotIn("datacrumbs", with_plugin.system)


class Accepted(_WithProbeFile):
    def test_absolute_path_is_stored_as_given(self):
        r = submit("--datacrumbs-enable", "--datacrumbs-probe-file", self.probes, cwd="/")
        self.assertEqual(r.code, 0, r.stderr)
        self.assertEqual(r.system["datacrumbs"], {"enable": "yes", "probe_file": self.probes})

    def test_relative_path_is_made_absolute_against_the_submit_directory(self):
        r = submit("--datacrumbs-enable", "--datacrumbs-probe-file", "probes.json.gz", cwd=self.dir)
        self.assertEqual(r.code, 0, r.stderr)
        self.assertEqual(r.system["datacrumbs"]["probe_file"], self.probes)

    def test_dot_dot_is_kept_for_the_kernel_to_resolve(self):
        os.mkdir(os.path.join(self.dir, "sub"))
        r = submit("--datacrumbs-enable", "--datacrumbs-probe-file", "sub/../probes.json.gz", cwd=self.dir)
        self.assertEqual(r.code, 0, r.stderr)
        self.assertEqual(r.system["datacrumbs"]["probe_file"], self.dir + "/sub/../probes.json.gz")

    def test_option_order_and_equals_form_do_not_matter(self):
        r = submit(f"--datacrumbs-probe-file={self.probes}", "--datacrumbs-enable", cwd=self.dir)
        self.assertEqual(r.code, 0, r.stderr)
        self.assertEqual(r.system["datacrumbs"], {"enable": "yes", "probe_file": self.probes})

    def test_spaces_and_non_ascii_letters_are_fine(self):
        name = os.path.join(self.dir, "my probes ƒ été.json.gz")
        shutil.copy(self.probes, name)
        r = submit("--datacrumbs-enable", "--datacrumbs-probe-file", name, cwd=self.dir)
        self.assertEqual(r.code, 0, r.stderr)
        self.assertEqual(r.system["datacrumbs"]["probe_file"], name)

    def test_a_symlink_to_a_readable_file_is_kept_unresolved(self):
        link = os.path.join(self.dir, "current.json.gz")
        os.symlink(self.probes, link)
        r = submit("--datacrumbs-enable", "--datacrumbs-probe-file", link, cwd=self.dir)
        self.assertEqual(r.code, 0, r.stderr)
        self.assertEqual(r.system["datacrumbs"]["probe_file"], link)

    def test_every_submission_command_has_the_options(self):
        for prog in ("run", "submit", "batch", "alloc", "bulksubmit"):
            with self.subTest(prog=prog):
                r = submit("--datacrumbs-enable", "--datacrumbs-probe-file", self.probes, prog=prog, cwd=self.dir)
                self.assertEqual(r.code, 0, r.stderr)
                self.assertEqual(r.system["datacrumbs"]["enable"], "yes")

    def test_without_ingest_validation_the_cli_result_is_the_same(self):
        r = submit("--flags=novalidate", "--datacrumbs-enable", "--datacrumbs-probe-file", self.probes, cwd=self.dir)
        self.assertEqual(r.code, 0, r.stderr)
        self.assertEqual(r.system["datacrumbs"], {"enable": "yes", "probe_file": self.probes})


class RejectedInTheCli(_WithProbeFile):
    """What cannot be carried at all: nothing is submitted."""

    def test_enable_without_a_probe_file(self):
        r = submit("--datacrumbs-enable", cwd=self.dir)
        self.assertRejected(r, "--datacrumbs-enable requires --datacrumbs-probe-file PATH "
                               "(the signed probes file to trace with)")

    def test_rejection_names_the_command_the_user_ran(self):
        r = submit("--datacrumbs-enable", prog="batch", cwd=self.dir)
        self.assertRejected(r, "--datacrumbs-enable requires --datacrumbs-probe-file PATH "
                               "(the signed probes file to trace with)", prog="batch")

    def test_probe_file_option_without_its_argument_is_a_usage_error(self):
        r = subprocess.run([sys.executable, FLUX_CLI, "run", "--datacrumbs-enable", "--datacrumbs-probe-file"],
                           cwd=self.dir, capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, PYTHONPATH=STANDIN))
        self.assertEqual(r.returncode, 2)
        self.assertIn("--datacrumbs-probe-file: expected one argument", r.stderr)

    def test_control_characters_in_the_path(self):
        for char in ("\n", "\r", "\t", "\x1b", "\x7f", "\x85", "\x01"):
            with self.subTest(char=repr(char)):
                name = os.path.join(self.dir, f"a{char}b.json.gz")
                with open(name, "wb") as f:
                    f.write(b"x")  # it exists: the name alone must be refused
                r = submit("--datacrumbs-enable", "--datacrumbs-probe-file", name, cwd=self.dir)
                self.assertRejected(r, "--datacrumbs-probe-file: the path contains a control "
                                       f"character (\\x{ord(char):02x})")

    def test_bytes_that_are_not_utf8(self):
        name = os.fsencode(self.dir) + b"/probes-\xff.json.gz"
        with open(name, "wb") as f:
            f.write(b"x")
        r = submit("--datacrumbs-enable", "--datacrumbs-probe-file", name, cwd=self.dir)
        self.assertRejected(r, "--datacrumbs-probe-file: the path is not valid UTF-8")

    def test_empty_path(self):
        r = submit("--datacrumbs-enable", "--datacrumbs-probe-file", "", cwd=self.dir)
        self.assertRejected(r, "--datacrumbs-probe-file: the path is empty")

    def test_path_longer_than_path_max(self):
        r = submit("--datacrumbs-enable", "--datacrumbs-probe-file", "/" + "a" * 4095, cwd=self.dir)
        self.assertRejected(r, "--datacrumbs-probe-file: the path is longer than 4095 bytes")

    def test_relative_path_that_becomes_too_long_in_a_deep_directory(self):
        r = submit("--datacrumbs-enable", "--datacrumbs-probe-file", "a" * 4094, cwd=self.dir)
        self.assertRejected(r, "--datacrumbs-probe-file: the path is longer than 4095 bytes")


class SubmittedWithANote(_WithProbeFile):
    """What the user may have meant or may still fix never stops the submission (issue 13,
    point 3): one "datacrumbs:" line on stderr, and the job goes in."""

    def assertUntraced(self, result, note):
        self.assertEqual(result.code, 0, result.stderr)
        self.assertEqual(result.stderr, f"datacrumbs: {note}\n")
        self.assertNotIn("datacrumbs", result.system)

    def assertCarried(self, result, path, problem):
        """The request goes to the nodes, whose policy decides."""
        self.assertEqual(result.code, 0, result.stderr)
        self.assertEqual(result.stderr,
                         f"datacrumbs: --datacrumbs-probe-file {path}: {problem}; the request is sent "
                         "anyway: the job's nodes check the file again and the site's policy decides "
                         "whether the job runs untraced or is canceled\n")
        self.assertEqual(result.system["datacrumbs"], {"enable": "yes", "probe_file": path})

    def test_probe_file_without_enable_runs_untraced(self):
        r = submit("--datacrumbs-probe-file", self.probes, cwd=self.dir)
        self.assertUntraced(r, "--datacrumbs-probe-file is ignored without --datacrumbs-enable: "
                               "this job runs untraced (add --datacrumbs-enable to trace it)")

    def test_probe_file_without_enable_that_does_not_exist_either(self):
        r = submit("--datacrumbs-probe-file", "nope.json.gz", cwd=self.dir)
        self.assertUntraced(r, "--datacrumbs-probe-file is ignored without --datacrumbs-enable: "
                               "this job runs untraced (add --datacrumbs-enable to trace it)")

    def test_missing_file(self):
        r = submit("--datacrumbs-enable", "--datacrumbs-probe-file", "nope.json.gz", cwd=self.dir)
        self.assertCarried(r, f"{self.dir}/nope.json.gz", "no such file")

    def test_missing_directory_component(self):
        path = self.probes + "/inner.json.gz"
        r = submit("--datacrumbs-enable", "--datacrumbs-probe-file", path, cwd=self.dir)
        self.assertCarried(r, path, "no such file (a component of the path is not a directory)")

    def test_directory(self):
        r = submit("--datacrumbs-enable", "--datacrumbs-probe-file", self.dir, cwd=self.dir)
        self.assertCarried(r, self.dir, "is a directory, not a probes file")

    def test_fifo(self):
        fifo = os.path.join(self.dir, "fifo")
        os.mkfifo(fifo)
        r = submit("--datacrumbs-enable", "--datacrumbs-probe-file", fifo, cwd=self.dir)
        self.assertCarried(r, fifo, "is not a regular file")

    def test_device(self):
        r = submit("--datacrumbs-enable", "--datacrumbs-probe-file", "/dev/null", cwd=self.dir)
        self.assertCarried(r, "/dev/null", "is not a regular file")

    def test_empty_file(self):
        empty = os.path.join(self.dir, "empty.json.gz")
        open(empty, "wb").close()
        r = submit("--datacrumbs-enable", "--datacrumbs-probe-file", empty, cwd=self.dir)
        self.assertCarried(r, empty, "is empty")

    def test_dangling_symlink(self):
        link = os.path.join(self.dir, "dangling.json.gz")
        os.symlink(os.path.join(self.dir, "gone"), link)
        r = submit("--datacrumbs-enable", "--datacrumbs-probe-file", link, cwd=self.dir)
        self.assertCarried(r, link, "no such file")

    def _submit_unprivileged(self, *args):
        if os.geteuid() != 0:
            return submit(*args, cwd=self.dir)
        try:
            pwd.getpwnam(UNPRIVILEGED_USER)
        except KeyError:
            self.skipTest(f"running as root and user {UNPRIVILEGED_USER} does not exist")
        if not os.access(SYSTEM_PYTHON, os.X_OK):
            self.skipTest(f"running as root and {SYSTEM_PYTHON} is missing")
        return submit(*args, cwd=self.dir, user=UNPRIVILEGED_USER)

    def test_file_the_user_cannot_read(self):
        os.chmod(self.probes, 0o600)
        if os.geteuid() != 0:
            os.chmod(self.probes, 0o000)
        r = self._submit_unprivileged("--datacrumbs-enable", "--datacrumbs-probe-file", self.probes)
        self.assertCarried(r, self.probes, "is not readable by you (permission denied)")

    def test_directory_the_user_cannot_enter(self):
        private = os.path.join(self.dir, "private")
        os.mkdir(private)
        inside = os.path.join(private, "probes.json.gz")
        shutil.copy(self.probes, inside)
        os.chmod(private, 0o700 if os.geteuid() == 0 else 0o000)
        self.addCleanup(os.chmod, private, 0o700)
        r = self._submit_unprivileged("--datacrumbs-enable", "--datacrumbs-probe-file", inside)
        self.assertCarried(r, inside, "cannot be reached (permission denied on a directory in the path)")


class PluginShape(unittest.TestCase):
    def test_one_plugin_with_the_two_prefixed_options(self):
        registry = CLIPluginRegistry("run")
        self.assertEqual([type(p).__name__ for p in registry.plugins], ["DataCrumbsPlugin"])
        self.assertEqual([o.name for o in registry.options], ["--datacrumbs-enable", "--datacrumbs-probe-file"])
        plugin = registry.plugins[0]
        self.assertEqual((plugin.prog, plugin.prefix), ("run", "datacrumbs"))

    def test_modify_jobspec_replaces_whatever_setattr_put_there(self):
        import argparse

        registry = CLIPluginRegistry("submit")
        with tempfile.NamedTemporaryFile(suffix=".json.gz") as f:
            f.write(b"x")
            f.flush()
            jobspec = JobspecV1.from_command(["true"], cwd="/")
            jobspec.setattr("system.datacrumbs.enable", "no")
            jobspec.setattr("system.datacrumbs.evil", "x\ny")
            args = argparse.Namespace(datacrumbs_enable=True, datacrumbs_probe_file=f.name)
            registry.preinit(args)
            registry.modify_jobspec(args, jobspec)
            self.assertEqual(jobspec.getattr("system.datacrumbs"), {"enable": "yes", "probe_file": f.name})


def _validate(datacrumbs=None, system=None):
    """Run job-ingest's side: the plugin's validate() on a submitted jobspec."""
    jobspec = JobspecV1.from_command(["true"], cwd="/")
    if system is not None:
        jobspec.jobspec["attributes"]["system"] = system
    if datacrumbs is not None:
        jobspec.jobspec["attributes"]["system"]["datacrumbs"] = datacrumbs[0]
    _, received = validate_jobspec(jobspec.dumps())
    CLIPluginRegistry("validate").validate(received)


class ValidatedInJobIngest(unittest.TestCase):
    def assertInvalid(self, value, message):
        with self.assertRaises(ValueError) as caught:
            _validate((value,))
        self.assertEqual(str(caught.exception), "attributes.system.datacrumbs " + message)

    def test_jobs_without_the_attribute_pass(self):
        _validate()

    def test_the_shape_the_cli_writes_passes(self):
        _validate(({"enable": "yes", "probe_file": "/home/alice/probes.json.gz"},))

    def test_no_filesystem_checks_here(self):
        # the validator runs as the instance owner on rank 0: the file may be
        # private to the user or on a filesystem this node does not mount
        _validate(({"enable": "yes", "probe_file": "/nonexistent/only/on/compute/nodes.json.gz"},))

    def test_not_an_object(self):
        for value in ("yes", ["yes", "/p"], None, 1, True):
            with self.subTest(value=value):
                self.assertInvalid(value, 'must be an object like {"enable": "yes", "probe_file": "/abs/path"}')

    def test_unknown_keys(self):
        self.assertInvalid({"enable": "yes", "probe_file": "/p", "composite": "x", "b": 1},
                           "has unknown key(s): b, composite")

    def test_enable_not_yes(self):
        for enable in ("no", "Yes", True, 1, None):
            with self.subTest(enable=enable):
                self.assertInvalid({"enable": enable, "probe_file": "/p"}, 'enable must be "yes"')
        self.assertInvalid({"probe_file": "/p"}, 'enable must be "yes"')

    def test_probe_file_not_a_string(self):
        for probe_file in (None, 7, ["/p"], {"path": "/p"}):
            with self.subTest(probe_file=probe_file):
                self.assertInvalid({"enable": "yes", "probe_file": probe_file}, "probe_file must be a string")
        self.assertInvalid({"enable": "yes"}, "probe_file must be a string")

    def test_probe_file_relative(self):
        self.assertInvalid({"enable": "yes", "probe_file": "probes.json.gz"},
                           "probe_file must be an absolute path, not 'probes.json.gz'")

    def test_probe_file_empty(self):
        self.assertInvalid({"enable": "yes", "probe_file": ""}, "probe_file: the path is empty")

    def test_probe_file_with_control_characters(self):
        self.assertInvalid({"enable": "yes", "probe_file": "/p\nDATACRUMBS_USER=root"},
                           "probe_file: the path contains a control character (\\x0a)")

    def test_probe_file_too_long(self):
        self.assertInvalid({"enable": "yes", "probe_file": "/" + "a" * 5000},
                           "probe_file: the path is longer than 4095 bytes")

    def test_other_system_attributes_are_not_our_business(self):
        _validate(system={"duration": 0, "cwd": "/", "datacrumbs_other": {"x": 1}})


if __name__ == "__main__":
    unittest.main()
