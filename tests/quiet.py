"""Stand-ins for a logger or a metric sink: one whose output a test does not look at, one that keeps it."""


class Quiet:
    """Every call does nothing."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


class Metrics:
    """A metric sink that keeps what it is given: (name, value) pairs, in order."""

    def __init__(self):
        self.added = []

    def add_metric(self, name, unit, value):
        self.added.append((name, value))
