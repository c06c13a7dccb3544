"""Shared test set-up: the repository root and `handlers/` importable, as in the images."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT.parent / "shared" / "fixtures" / "aws-events"
for path in (ROOT, ROOT / "handlers"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
