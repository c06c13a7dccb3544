"""The local run's campaign API over real HTTP: submit, follow to the end, fetch a variant through its presigned
URL, re-render at a named version, and cancel a second campaign."""

import io
import json
import threading
import time
from pathlib import Path

import pytest
import requests
from PIL import Image

from handlers.shared.manifest import SETTLED_CAMPAIGN
from localrun.run import RunOptions
from localrun.serve import serving

SAMPLE = (Path(__file__).parents[2] / "samples" / "briefs" / "summer-splash.json").read_bytes()
HELD = "cancel-me-"  # campaigns whose generator waits for the gate: the cancel arrives before it starts


@pytest.fixture(scope="module")
def local_api(tmp_path_factory):
    gate = threading.Event()

    def hold_generator(service, module):
        if service != "generator":
            return
        original = module.handler

        def held(event, context):
            if str(event.get("campaign_id", "")).startswith(HELD):
                gate.wait(120)
            return original(event, context)

        module.handler = held

    out = tmp_path_factory.mktemp("serve")
    with (out / "local-run.log").open("w") as log:
        options = RunOptions(briefs=[], out=out, workers=2, log_stream=log, prepare_function=hold_generator)
        with serving(options) as served:
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {served.token}"
            served.http, served.gate = session, gate
            yield served
            gate.set()


def wait_for(read, done, what: str, seconds: float = 120):
    """Poll `read()` until `done(value)`; fail naming what was awaited and the last value seen."""
    deadline, value = time.monotonic() + seconds, None
    while time.monotonic() < deadline:
        value = read()
        if done(value):
            return value
        threading.Event().wait(0.2)
    pytest.fail(f"{what} did not happen within {seconds} s; last seen: {json.dumps(value)[:600]}")


def test_submit_follow_fetch_and_rerender_over_http(local_api):
    api, http = local_api.url, local_api.http
    assert requests.get(f"{api}/campaigns", timeout=10).status_code == 401  # no token: API Gateway's answer
    answer = http.post(f"{api}/campaigns", data=SAMPLE, timeout=30)
    assert answer.status_code == 202, answer.text
    submitted = answer.json()
    cid, status_url = submitted["campaign_id"], submitted["status_url"]
    assert status_url == f"{api}/campaigns/{cid}"

    def campaign():
        return http.get(status_url, timeout=30).json()

    done = wait_for(campaign, lambda c: c["status"] in ("complete", "partial", "failed"), f"campaign {cid} settling")
    assert done["status"] == "complete", done
    assert [p["status"] for p in done["products"]] == ["complete", "complete"]
    square = next(v for v in done["products"][0]["variants"] if v["name"] == "instagram-square")
    fetched = requests.get(square["url"], timeout=30)  # the presigned URL alone, no token
    assert fetched.status_code == 200 and fetched.content[:3] == b"\xff\xd8\xff"
    image = Image.open(io.BytesIO(fetched.content))
    assert (image.format, image.size) == ("JPEG", (1080, 1080))
    assert [c["campaign_id"] for c in http.get(f"{api}/campaigns", timeout=30).json()["campaigns"]] == [cid]

    versions = http.get(f"{api}/versions", timeout=30).json()
    assert [v["version"] for v in versions["versions"]] == ["latest", "local"]
    answer = http.post(f"{api}/campaigns/{cid}/rerender", json={"version": "local"}, timeout=30)
    assert answer.status_code == 202, answer.text
    rerender = answer.json()
    assert rerender["version"] == "local" and "every version runs this checkout's code" in rerender["note"]
    again = wait_for(
        campaign,
        lambda c: c["status"] == "complete" and c.get("updated_at", "") > done["updated_at"],
        f"re-render {rerender['job_id']} of {cid} finishing",
    )
    assert [r["job_id"] for r in again["rerenders"]] == [rerender["job_id"]]
    assert all(len(p["variants"]) == len(done["products"][0]["variants"]) for p in again["products"])


def test_cancel_of_a_running_campaign_settles_it_cancelled(local_api):
    api, http = local_api.url, local_api.http
    brief = {
        "campaign_name": "Cancel me",
        "campaign_message": "Never shown",
        "products": [{"name": "First"}, {"name": "Second"}],
    }
    cid = http.post(f"{api}/campaigns", json=brief, timeout=30).json()["campaign_id"]
    assert cid.startswith(HELD)
    wait_for(
        lambda: http.get(f"{api}/campaigns/{cid}", timeout=30).json(),
        lambda c: c["status"] == "processing",
        f"campaign {cid} starting",
    )
    answer = http.post(f"{api}/campaigns/{cid}/cancel", timeout=30)
    assert answer.status_code == 202, answer.text
    local_api.gate.set()  # the generator starts now, after the cancel: it must not make the images
    settled = wait_for(
        lambda: http.get(f"{api}/campaigns/{cid}", timeout=30).json(),
        lambda c: c["status"] in SETTLED_CAMPAIGN,
        f"campaign {cid} settling after its cancel",
    )
    assert settled["status"] == "cancelled"
    assert [p["status"] for p in settled["products"]] == ["cancelled", "cancelled"]
    assert all(p["variants"] == [] for p in settled["products"])
