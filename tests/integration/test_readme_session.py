"""The README's curl session, pasted in order into bash against `make serve`, gets the answers the README shows.

The session is the README's `sh` block that starts with `export API=`. Its first line stands for the line `make
serve` prints, so that printed line is pasted instead (and must match it, names included); every other line runs
as written, in one bash, from a folder that has the repository's `samples/` as the repository root does. A line
`# → text` is what the command above it prints (one line each); the other commands must print nothing."""

import os
import re
import shutil
import signal
import subprocess
import threading
from pathlib import Path

import pytest
from PIL import Image

pytestmark = pytest.mark.slow  # a served pipeline, two campaigns

ROOT = Path(__file__).resolve().parents[2]
ANSWER = "# → "
END = "--- end of command ---"


def readme_session() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    [session] = [block for block in blocks if block.startswith("export API=")]
    return session.splitlines()


def commands_and_answers(lines: list[str]) -> list[tuple[str, list[str]]]:
    """Each command with the answer lines under it; comment lines that are not answers are dropped."""
    steps: list[tuple[str, list[str]]] = []
    for line in lines:
        if line.startswith(ANSWER):
            steps[-1][1].append(line.removeprefix(ANSWER))
        elif line.strip() and not line.startswith("#"):
            steps.append((line, []))
    return steps


@pytest.fixture
def make_serve(tmp_path):
    """`make serve` on any free port (the README names `--port`), until Ctrl-C; yields its printed export line."""
    if shutil.which("jq") is None:
        message = "the README's session needs jq (apt-get install -y jq; make test installs it as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {message}", pytrace=False)
        pytest.skip(message)
    errors = tmp_path / "make-serve.stderr"
    served = subprocess.Popen(
        ["make", "--no-print-directory", "serve", f"LOCAL_ARGS=--port 0 --out {tmp_path / 'out'}"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=errors.open("w"),
        env=os.environ | {"PYTHONFAULTHANDLER": "1"},  # SIGABRT prints every thread's stack, should it hang
        text=True,
        start_new_session=True,  # its own process group: Ctrl-C reaches make and the server
    )
    try:
        for line in served.stdout:  # until the banner's export line (EOF: make serve stopped)
            if line.strip().startswith("export API="):
                # The rest of its output is read as it comes, so a full pipe never blocks the server.
                threading.Thread(target=served.stdout.read, daemon=True).start()
                yield line.strip()
                break
        else:
            pytest.fail("make serve stopped without printing its export line")
    finally:
        os.killpg(served.pid, signal.SIGINT)  # Ctrl-C
        try:
            served.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(served.pid, signal.SIGABRT)
            served.wait(timeout=30)
            pytest.fail(f"make serve did not stop within 60 s of Ctrl-C:\n{errors.read_text()[-6000:]}")


def test_the_readme_session_pasted_in_order_gets_the_documented_answers(make_serve, tmp_path):
    first, *rest = readme_session()
    # The README's first line is the banner's, with the placeholders a reader fills from what make serve printed.
    url, token = re.fullmatch(r"export API=(\S+) TOKEN=(\S+)", make_serve).groups()
    assert first.replace("http://127.0.0.1:8080", url).replace("<the token make serve printed>", token) == make_serve
    steps = commands_and_answers(rest)
    assert len(steps) >= 7 and sum(len(answers) for _, answers in steps) >= 5

    paste = tmp_path / "paste"
    paste.mkdir()
    (paste / "samples").symlink_to(ROOT / "samples")
    script = "set -eo pipefail\n" + make_serve + "\n"
    script += "".join(f"{command}\necho '{END}'\n" for command, _ in steps)
    ran = subprocess.run(["bash", "-c", script], cwd=paste, capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stderr[-2000:]
    printed = ran.stdout.split(END + "\n")
    assert printed[-1] == "" and len(printed) == len(steps) + 1
    for (command, answers), output in zip(steps, printed, strict=False):
        assert output.splitlines() == answers, command

    with Image.open(paste / "square.jpg") as square:  # the variant fetched by its presigned URL
        assert (square.format, square.size) == ("JPEG", (1080, 1080))
