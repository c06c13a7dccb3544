"""The code's top-level packages cannot be shadowed by, or shadow, an installed distribution: `handlers.parser` is
this project's parser wherever it is imported (tests, local run, images), never the standard library's or a
dependency's `parser`, `shared` or `generator`."""

import importlib.metadata
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OWN_PACKAGES = ("handlers", "components", "localrun", "tools", "benchmarks")


def test_no_installed_distribution_or_standard_module_has_our_top_level_names():
    installed = importlib.metadata.packages_distributions()
    taken = {name: installed[name] for name in OWN_PACKAGES if name in installed}
    assert taken == {}
    assert not set(OWN_PACKAGES) & set(sys.stdlib_module_names)


def test_the_functions_import_as_one_package_from_the_repository():
    import handlers.generator.app
    import handlers.parser.app
    import handlers.variants.app

    for module in (handlers.parser.app, handlers.generator.app, handlers.variants.app):
        assert Path(module.__file__).resolve().is_relative_to(ROOT / "handlers")
    # One module object per file: the components read the metric names the handlers emit, under one name.
    from components import dashboard
    from handlers.shared import metrics

    assert dashboard.m is metrics
