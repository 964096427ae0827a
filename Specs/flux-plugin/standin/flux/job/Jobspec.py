"""Stand-in for flux.job.Jobspec: the attribute surface a CLI plugin uses."""

import json
from collections import abc

from flux.util import set_treedict


def _attr_key_prepend(key):
    if not key.startswith("attributes."):
        if not key.startswith(("user.", "system.")):
            key = "system." + key
        key = "attributes." + key
    return key


class Jobspec:
    top_level_keys = {"resources", "tasks", "version", "attributes"}

    def __init__(self, resources, tasks, attributes, version):
        if not isinstance(resources, abc.Sequence):
            raise TypeError("resources must be a sequence")
        if not isinstance(tasks, abc.Sequence):
            raise TypeError("tasks must be a sequence")
        if not isinstance(attributes, abc.Mapping):
            raise TypeError("attributes must be a mapping")
        unknown = set(attributes) - {"system", "user"}
        if unknown:
            raise ValueError(f"Extra keys found: {sorted(unknown)}")
        self.jobspec = {
            "resources": resources,
            "tasks": tasks,
            "attributes": attributes,
            "version": version,
        }

    def getattr(self, key):
        key = _attr_key_prepend(key)
        value = self.jobspec
        for attr in key.split("."):
            value = value.get(attr)
            if value is None:
                raise KeyError
        return value

    def setattr(self, key, val):
        try:
            key = _attr_key_prepend(key)
            set_treedict(self.jobspec, key, val)
        except TypeError as e:
            raise TypeError(f"failed to set {key} to {val}: {e}")

    def dumps(self, **kwargs):
        return json.dumps(self.jobspec, ensure_ascii=False, **kwargs)

    @property
    def attributes(self):
        return self.jobspec.get("attributes", None)


class JobspecV1(Jobspec):
    def __init__(self, resources, tasks, attributes, version=1):
        if version != 1:
            raise ValueError("version must be 1")
        super().__init__(resources, tasks, attributes, version)
        if "system" not in attributes:
            raise ValueError("attributes.system is a required key")

    @classmethod
    def from_command(cls, command, cwd):
        return cls(
            resources=[{"type": "slot", "count": 1, "label": "task",
                        "with": [{"type": "core", "count": 1}]}],
            tasks=[{"command": list(command), "slot": "task", "count": {"per_slot": 1}}],
            attributes={"system": {"duration": 0, "cwd": cwd}},
        )


def validate_jobspec(jobspec, require_version=None):
    if not isinstance(jobspec, str):
        jobspec = jobspec.dumps()
    obj = json.loads(jobspec)
    missing = Jobspec.top_level_keys - set(obj)
    if missing:
        raise ValueError(f"Missing keys: {sorted(missing)}")
    if require_version == 1 or obj.get("version", 0) == 1:
        return True, JobspecV1(**obj)
    return True, Jobspec(**obj)
