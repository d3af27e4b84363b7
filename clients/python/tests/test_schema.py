"""The Python client's option names and defaults against protocol.schema.json (which is generated
from the daemon's protocol types): every keyword a method takes is a member of that method's
params, every member can be given, and a default the client fills in is the schema's."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any, Dict, Set

import pytest

from cfsp import Client
from cfsp.client import PRUNING_OPTIONS

SCHEMA = json.loads((Path(__file__).resolve().parents[3] / "protocol.schema.json").read_text(encoding="utf-8"))
PARAMS: Dict[str, Any] = SCHEMA["$defs"]["params"]

#: Client method -> the daemon method it sends.
METHODS = {
    "load_model": "model/load", "describe_model": "model/describe", "unload_model": "model/unload",
    "calibrate": "calibrate", "save_calibration": "calibration/save", "load_calibration": "calibration/load",
    "release_calibration": "calibration/release", "merge_calibrations": "calibration/merge", "score": "score", "prune": "prune", "evaluate": "evaluate",
    "finetune": "finetune", "export": "export", "run": "run", "sweep": "sweep", "loglikelihood": "loglikelihood",
}

#: Parameters of the client methods that are not params members (client-side settings).
CLIENT_ONLY = {"self", "progress", "options"}


def camel(name: str) -> str:
    """``window_size`` -> ``windowSize``."""
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def keywords(method: str) -> Dict[str, inspect.Parameter]:
    """The wire name of every parameter of ``Client.<method>`` that is a params member."""
    signature = inspect.signature(getattr(Client, method))
    return {camel(name): p for name, p in signature.parameters.items() if name not in CLIENT_ONLY}


def members(rpc: str) -> Set[str]:
    return set(PARAMS[rpc]["properties"]) - {"workDoneToken"}


@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_keyword_is_a_member(method: str) -> None:
    rpc = METHODS[method]
    unknown = set(keywords(method)) - members(rpc)
    assert not unknown, f"Client.{method} sends {sorted(unknown)}, which {rpc} does not have"


@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_member_can_be_given(method: str) -> None:
    rpc = METHODS[method]
    reachable = set(keywords(method))
    if method in ("score", "prune", "run", "sweep"):
        reachable |= set(PRUNING_OPTIONS.values())
    missing = members(rpc) - reachable
    assert not missing, f"Client.{method} cannot send {sorted(missing)} of {rpc}"


@pytest.mark.parametrize("method", sorted(METHODS))
def test_defaults_are_the_schemas(method: str) -> None:
    properties = PARAMS[METHODS[method]]["properties"]
    required = set(PARAMS[METHODS[method]]["required"])
    for name, parameter in keywords(method).items():
        default = parameter.default
        if default is inspect.Parameter.empty or default is None:
            continue  # required here too, or left to the daemon's default
        member = properties[name]
        if "default" in member:
            assert default == member["default"], f"Client.{method}({parameter.name}={default!r}): schema default {member['default']!r}"
        else:
            # A convenience for a member the daemon requires: it must be a value the member accepts.
            assert name in required and default in member.get("enum", [default]), (method, name, default)


def test_pruning_options_are_the_schemas() -> None:
    options = members("score") - {"model", "calibration", "sparsity"}
    assert set(PRUNING_OPTIONS.values()) == options
    assert all(camel(python) == wire for python, wire in PRUNING_OPTIONS.items())
    assert members("prune") == members("score")
    assert options <= members("run")


def test_required_members_are_positional() -> None:
    # What the daemon requires, the client asks for without a default.
    for method, rpc in METHODS.items():
        parameters = keywords(method)
        for name in PARAMS[rpc]["required"]:
            if name in parameters:
                assert parameters[name].default is inspect.Parameter.empty or name == "format", (method, name)
