"""Monitoring's arguments are checked before any resource: labels become alarm names."""

import pytest

from components.monitoring import MonitoringArgs, _validate
from components.settings import read_stack_file, settings_from_values


def args(**overrides) -> MonitoringArgs:
    values = dict(
        settings=settings_from_values("dev", read_stack_file("dev")),
        functions={"parser": "fn"},
        work_queues={"briefs": "q"},
        dead_letter_queues={"briefs-dlq": "d"},
        job_definition_name="jd",
    )
    values.update(overrides)
    return MonitoringArgs(**values)


def test_labels_of_lower_case_letters_digits_and_hyphens_are_accepted_and_no_others():
    def accepted(label: str) -> bool:
        try:
            _validate(args(functions={label: "fn"}))
        except ValueError:
            return False
        return True

    candidates = ["parser", "image-updater", "dlq2", "Parser", "briefs_queue", "briefs queue", "-dlq", "", "a" * 64]
    assert [label for label in candidates if accepted(label)] == ["parser", "image-updater", "dlq2"]


@pytest.mark.parametrize("field", ["functions", "work_queues", "dead_letter_queues"])
def test_a_label_unusable_in_an_alarm_name_is_refused_naming_it(field):
    with pytest.raises(ValueError, match=rf"{field} label 'Briefs Queue'"):
        _validate(args(**{field: {"Briefs Queue": "q"}}))


def test_no_functions_is_refused():
    with pytest.raises(ValueError, match="functions is empty"):
        _validate(args(functions={}))
