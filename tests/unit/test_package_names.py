"""The code's top-level packages cannot be shadowed by, or shadow, an installed distribution: `handlers.parser` is
this project's parser wherever it is imported (tests, local run, images), never the standard library's or a
dependency's `parser`, `shared` or `generator`."""

import importlib.metadata
import importlib.util
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
    # Found, not imported: an app module reads its environment when imported, as in a Lambda container.
    for function in ("parser", "generator", "variants", "image_updater"):
        spec = importlib.util.find_spec(f"handlers.{function}.app")
        assert spec is not None and spec.origin is not None
        assert Path(spec.origin).resolve() == ROOT / "handlers" / function / "app.py"
    # One module object per file: the components read the metric names the handlers emit, under one name.
    from components import dashboard
    from handlers.shared import metrics

    assert dashboard.m is metrics
