"""Typed stack settings: read once, validated before any resource exists.

- `limits`: what AWS and the code allow (hard limits moto does not enforce, allowed values).
- `keys`: every config key the project reads, and a reader that names the key in every error.
- `model`: the frozen dataclasses the components are made from, and the physical names (`Names`).
- `validation`: config values in, `StackSettings` out (pure; each default stated there once).
- `loading`: values from the stack file (local run, tests) or the Pulumi CLI (`load()`, the program's entry).

Every error names the config key, the value given and what is allowed; a key under `creative-automation:` that
no setting reads (a typo) is an error too.
"""

from components.settings.keys import CONFIG_KEYS, SettingsError
from components.settings.limits import (
    FUNCTION_SERVICES,
    GENERATOR_MIN_TIMEOUT,
    PIPELINE_FUNCTIONS,
    PROJECT,
    ROOT,
    SERVICES,
)
from components.settings.loading import load, read_stack_file, stack_file_config
from components.settings.model import Names, StackSettings
from components.settings.validation import settings_from_values

__all__ = [
    "CONFIG_KEYS",
    "FUNCTION_SERVICES",
    "GENERATOR_MIN_TIMEOUT",
    "PIPELINE_FUNCTIONS",
    "PROJECT",
    "ROOT",
    "SERVICES",
    "Names",
    "SettingsError",
    "StackSettings",
    "load",
    "read_stack_file",
    "settings_from_values",
    "stack_file_config",
]
