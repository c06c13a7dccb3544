"""Read the CloudWatch embedded-metric-format (EMF) lines Powertools Metrics prints, for handler tests.

    out = capsys.readouterr().out
    assert emf.metric(out, "CampaignsStarted").dimension_sets == [("service",)]

Each EMF line is a JSON object whose `_aws.CloudWatchMetrics` lists namespaces, dimension sets and metric
definitions; the values and dimension values are top-level keys of the same object.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class EmfMetric:
    namespace: str
    name: str
    unit: str | None
    values: tuple[float, ...]  # Powertools writes a list when a metric was added more than once
    dimension_sets: list[tuple[str, ...]]  # as CloudWatch will index them: one metric per set
    dimensions: dict[str, str]  # dimension name -> value, for the names in dimension_sets

    @property
    def total(self) -> float:
        return sum(self.values)


def parse(output: str) -> list[EmfMetric]:
    """Every metric of every EMF line in `output` (other lines, such as log lines, are skipped)."""
    found: list[EmfMetric] = []
    for line in output.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            document: dict[str, Any] = json.loads(line)
        except ValueError:
            continue
        directives = (document.get("_aws") or {}).get("CloudWatchMetrics") if isinstance(document, dict) else None
        if not directives:
            continue
        for directive in directives:
            sets = [tuple(dimension_set) for dimension_set in directive.get("Dimensions", [])]
            names = {name for dimension_set in sets for name in dimension_set}
            missing = [name for name in names if name not in document]
            if missing:
                raise AssertionError(f"EMF line declares dimensions {missing} without values: {line}")
            for definition in directive.get("Metrics", []):
                name = definition["Name"]
                if name not in document:
                    raise AssertionError(f"EMF line declares metric {name!r} without a value: {line}")
                value = document[name]
                found.append(
                    EmfMetric(
                        namespace=directive["Namespace"],
                        name=name,
                        unit=definition.get("Unit"),
                        values=tuple(value) if isinstance(value, list) else (value,),
                        dimension_sets=sets,
                        dimensions={key: document[key] for key in sorted(names)},
                    )
                )
    return found


def metrics(output: str, name: str) -> list[EmfMetric]:
    """All emissions of metric `name` in `output`."""
    return [metric for metric in parse(output) if metric.name == name]


def metric(output: str, name: str) -> EmfMetric:
    """The single emission of metric `name`; fails naming what was emitted instead."""
    found = metrics(output, name)
    if len(found) != 1:
        raise AssertionError(
            f"expected one EMF emission of {name!r}, found {len(found)}; "
            f"emitted: {sorted({m.name for m in parse(output)})}"
        )
    return found[0]
