"""Which airouter backend spawned this router, if one did: reported in GET /health as ``spawned_by``.

A backend that spawns a router sets ``AIROUTER_SPAWNED_BY`` (its instance id) and
``AIROUTER_SPAWNER_PID`` (its pid) in the router's environment. The router reports them as
``"spawned_by": {"instance_id": …, "pid": …}``, and ``null`` when it was started by hand. Another
backend probing the port for a router to adopt reads the field and leaves a spawned router alone:
it belongs to the backend that supervises it (restarts, reloads and stops it). The values are only
passed through; the rules for instance ids live in the backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Mapping, Optional, Union

INSTANCE_VARIABLE = "AIROUTER_SPAWNED_BY"
PID_VARIABLE = "AIROUTER_SPAWNER_PID"


@dataclass(frozen=True)
class SpawnedBy:
    """The spawning backend: its instance id and its process id."""

    instance_id: str
    pid: int

    def as_json(self) -> Dict[str, Union[str, int]]:
        """The ``spawned_by`` object of GET /health."""
        return {"instance_id": self.instance_id, "pid": self.pid}


def spawned_by_from_env(environ: Mapping[str, str]) -> Optional[SpawnedBy]:
    """Reads the two variables; None when neither is set.

    Raises ValueError naming the variable when only one is set, the id is blank, or the pid is not a
    positive integer.
    """
    instance = environ.get(INSTANCE_VARIABLE)
    pid_text = environ.get(PID_VARIABLE)
    if instance is None and pid_text is None:
        return None
    if instance is None or not instance.strip():
        raise ValueError(f"{INSTANCE_VARIABLE} must name the spawning backend's instance id when {PID_VARIABLE} "
                         f"is set, got {instance!r}")
    if pid_text is None:
        raise ValueError(f"{PID_VARIABLE} must be set with {INSTANCE_VARIABLE} ({instance!r}): the spawning "
                         f"backend's pid")
    try:
        pid = int(pid_text)
    except ValueError:
        pid = 0
    if pid <= 0:
        raise ValueError(f"{PID_VARIABLE} must be a positive integer (the spawning backend's pid), got {pid_text!r}")
    return SpawnedBy(instance, pid)
