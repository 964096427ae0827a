"""Stand-in for flux.cli.plugin (flux-core 0.84+): options, args proxy, registry."""

import glob
import importlib.util
import os
from abc import ABC


class PluginArgsProxy:
    """Maps a plugin's unprefixed dest (args.enable) to the prefixed one (args.x_enable)."""

    __slots__ = ("_ns", "_alias")

    def __init__(self, args, alias):
        object.__setattr__(self, "_ns", args)
        object.__setattr__(self, "_alias", alias)

    def __getattr__(self, name):
        alias = object.__getattribute__(self, "_alias")
        ns = object.__getattribute__(self, "_ns")
        return getattr(ns, alias.get(name, name))

    def __setattr__(self, name, value):
        alias = object.__getattribute__(self, "_alias")
        ns = object.__getattribute__(self, "_ns")
        setattr(ns, alias.get(name, name), value)


class CLIPluginOption:
    def __init__(self, name, prefix, **kwargs):
        if not name.startswith("--"):
            raise ValueError("Plugins must register only long options.")
        self.name = name.replace("--", f"--{prefix}-", 1) if prefix else name
        if "dest" not in kwargs:
            self._unprefixed_dest = name[2:].replace("-", "_")
            kwargs["dest"] = self.name[2:].replace("-", "_")
        else:
            self._unprefixed_dest = None
        self.kwargs = kwargs

    @property
    def dest(self):
        return self.kwargs["dest"]


class CLIPlugin(ABC):
    def __init__(self, prog, prefix="ex", version=None):
        self.prog = prog[5:] if prog.startswith("flux ") else prog
        self.path = None
        self.prefix = prefix
        self.version = version
        self.options = []

    def add_option(self, name, **kwargs):
        self.options.append(CLIPluginOption(name, prefix=self.prefix, **kwargs))

    def preinit(self, args):
        pass

    def modify_jobspec(self, args, jobspec):
        pass

    def validate(self, jobspec):
        pass


def _import_path(path):
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class CLIPluginRegistry:
    def __init__(self, prog):
        self.prog = prog
        self.plugins = []
        self.plugindirs = self._get_searchpath()
        self._load_plugins(prog)

    @staticmethod
    def _get_searchpath():
        if "FLUX_CLI_PLUGINPATH_OVERRIDE" in os.environ:
            raw = os.environ["FLUX_CLI_PLUGINPATH_OVERRIDE"]
        else:
            raw = os.environ.get("FLUX_CLI_PLUGINPATH", "")
        return [s for s in raw.split(":") if s and not s.isspace()]

    def _add_plugins_from_module(self, module, program):
        entries = [getattr(module, a) for a in dir(module) if not a.startswith("_")]
        for entry in entries:
            if isinstance(entry, type) and issubclass(entry, CLIPlugin) and entry != CLIPlugin:
                plugin = entry(program)
                plugin.path = module.__file__
                self.plugins.append(plugin)

    def _load_plugins(self, program):
        for plugindir in self.plugindirs:
            for path in sorted(glob.glob(f"{plugindir}/*.py")):
                self._add_plugins_from_module(_import_path(path), program)
        option_dests = {}
        for plugin in self.plugins[:]:
            if any(opt.dest in option_dests for opt in plugin.options):
                self.plugins.remove(plugin)
            else:
                for opt in plugin.options:
                    option_dests[opt.dest] = opt
        self.options = list(option_dests.values())
        return self

    @staticmethod
    def _make_alias(plugin):
        return {
            opt._unprefixed_dest: opt.dest
            for opt in plugin.options
            if opt._unprefixed_dest is not None and opt._unprefixed_dest != opt.dest
        }

    def preinit(self, args):
        for plugin in self.plugins:
            plugin.preinit(PluginArgsProxy(args, self._make_alias(plugin)))

    def modify_jobspec(self, args, jobspec):
        for plugin in self.plugins:
            plugin.modify_jobspec(PluginArgsProxy(args, self._make_alias(plugin)), jobspec)

    def validate(self, jobspec):
        for plugin in self.plugins:
            plugin.validate(jobspec)
