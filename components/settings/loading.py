"""Where config values come from: the stack file (`Pulumi.<stack>.yaml`, for the local run and the tests) or the
Pulumi CLI (`load()`, the program's entry point)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from components.settings.keys import scalar
from components.settings.limits import PROJECT, ROOT
from components.settings.model import StackSettings
from components.settings.validation import settings_from_values


def stack_file(environment: str) -> Path:
    return ROOT / f"Pulumi.{environment}.yaml"


def stack_file_config(environment: str) -> dict[str, Any]:
    """The `config:` block of Pulumi.<environment>.yaml as the CLI hands it over: fully qualified keys
    (`creative-automation:images`, `aws:region`); empty when the stack has no file."""
    import yaml

    path = stack_file(environment)
    document = yaml.safe_load(path.read_text()) if path.exists() else None
    return dict((document or {}).get("config") or {})


def read_stack_file(environment: str) -> dict[str, Any]:
    """The `config:` block of Pulumi.<environment>.yaml, keys without the project prefix."""
    return {name.removeprefix(f"{PROJECT}:"): value for name, value in stack_file_config(environment).items()}


def load() -> StackSettings:
    """Settings of the stack being deployed, from pulumi.Config. Raises SettingsError before any resource."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    # Every key of this project's namespace, as the CLI hands them over (so unknown ones can be refused);
    # structured values arrive JSON-encoded.
    given = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    values: dict[str, Any] = {
        key[len(PROJECT) + 1 :]: scalar(value)
        for key, value in given.items()
        if key.startswith(f"{PROJECT}:") and value is not None
    }
    region = pulumi.Config("aws").get("region")
    if region is not None:
        values["aws:region"] = region
    settings = settings_from_values(pulumi.get_stack(), values)
    for note in settings.advice():
        pulumi.log.warn(note)
    return settings
