"""Subjects and faces from Amazon Rekognition (botocore Stubber, answers in the shapes AWS documents), against moto
S3: a real portrait keeps its face whole and clear of the message in every size, the answer is paid once and cached,
and an outage falls back to the offline detector without failing the product."""

import io
from pathlib import Path

import boto3
import pytest
from botocore.stub import ANY, Stubber
from PIL import Image

from handlers.shared.manifest import ManifestStore, new_manifest
from handlers.variants.layout import Box
from handlers.variants.rekognition import MAX_SIDE, RekognitionSubjects
from handlers.variants.service import VariantsService
from tests.documented import REKOGNITION_USD_PER_IMAGE_PER_CALL
from tests.quiet import Quiet

BUCKET = "creative-automation-dev-123456789012-us-east-1"
CID = "portrait-2026-0a1b2c3d"
SOURCE = "existing-assets/acme/hopper/portrait.jpg"
PHOTO = Path(__file__).parents[1] / "fixtures" / "photos" / "grace_hopper.jpg"  # 512 x 600, US Navy, public domain
# Hand-labelled on the photo (tests/fixtures/photos/labels.json): her face, forehead to chin.
FACE = Box(155, 130, 365, 335)


def ratio_box(box: Box, size=(512, 600)) -> dict:
    width, height = size
    return {
        "Width": (box.right - box.left) / width,
        "Height": (box.bottom - box.top) / height,
        "Left": box.left / width,
        "Top": box.top / height,
    }


# DetectLabels as the API answers (Labels with Categories and Instances; LabelModelVersion), and DetectFaces with
# Attributes DEFAULT as the API's own example shows a face (BoundingBox, Confidence, Landmarks, Pose, Quality),
# here at where the face of this photo is.
LABELS = {
    "Labels": [
        {
            "Name": "Person",
            "Confidence": 99.6,
            "Instances": [{"BoundingBox": ratio_box(Box(0, 20, 512, 600)), "Confidence": 99.1}],
            "Parents": [],
            "Aliases": [{"Name": "Human"}],
            "Categories": [{"Name": "Person Description"}],
        },
        {"Name": "Flag", "Confidence": 97.2, "Instances": [], "Parents": [], "Categories": [{"Name": "Symbols"}]},
    ],
    "LabelModelVersion": "3.0",
}
FACES = {
    "FaceDetails": [
        {
            "BoundingBox": ratio_box(FACE),
            "Confidence": 100,
            "Landmarks": [{"Type": "eyeLeft", "X": 0.43, "Y": 0.33}, {"Type": "eyeRight", "X": 0.6, "Y": 0.33}],
            "Pose": {"Pitch": 4.05, "Roll": 0.99, "Yaw": 3.69},
            "Quality": {"Brightness": 37.6, "Sharpness": 80},
        }
    ]
}


@pytest.fixture
def world(aws_endpoint):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=SOURCE, Body=PHOTO.read_bytes())
    store = ManifestStore(s3, BUCKET)
    products = [
        {"index": i, "name": f"Portrait {i}", "image_source": "existing", "source_key": SOURCE, "status": "rendering"}
        for i in range(2)
    ]
    store.create(
        new_manifest(
            campaign_id=CID,
            brief={"campaign_name": "Portrait", "campaign_message": "Amazing grace, written in code since 1952"},
            brief_key="input/campaign-briefs/a.json",
            products=products,
        )
    )
    rekognition = boto3.client("rekognition", region_name="us-east-1")
    stubber = Stubber(rekognition)
    stubber.activate()
    service = VariantsService(s3, store, Quiet(), Quiet(), find_subjects=RekognitionSubjects(rekognition, s3, BUCKET))
    return s3, store, service, stubber


def expect_answers(stubber):
    stubber.add_response(
        "detect_labels",
        LABELS,
        {"Image": {"Bytes": ANY}, "MaxLabels": ANY, "MinConfidence": ANY, "Features": ["GENERAL_LABELS"]},
    )
    stubber.add_response("detect_faces", FACES, {"Image": {"Bytes": ANY}, "Attributes": ["DEFAULT"]})


def test_the_face_stays_whole_and_clear_of_the_message_in_every_size_and_is_paid_once(world):
    s3, store, service, stubber = world
    sent = []
    stubber.client.meta.events.register(
        "before-parameter-build.rekognition.*", lambda params, **_: sent.append(params["Image"]["Bytes"])
    )
    expect_answers(stubber)
    assert service.handle(CID, 0, SOURCE) == "complete"
    stubber.assert_no_pending_responses()

    for image in sent:  # what Rekognition takes: JPEG under 5 MB, at least 80 px a side
        with Image.open(io.BytesIO(image)) as picture:
            assert picture.format == "JPEG" and min(picture.size) >= 80 and max(picture.size) <= MAX_SIDE
        assert len(image) <= 5 * 1024 * 1024

    product = store.get(CID)["products"][0]
    subjects = product["subjects"]
    assert subjects["detector"] == "rekognition" and subjects["label"] == "Person"
    assert subjects["faces"] == [[155, 130, 365, 335]]
    assert product["cost_usd"] == pytest.approx(2 * REKOGNITION_USD_PER_IMAGE_PER_CALL)  # DetectLabels + DetectFaces
    for variant in product["variants"]:  # the person and her face: whole, and no text over them
        check = variant["check"]
        assert check["product_visible"] is True and check["overlap_px"] == 0, variant["name"]
        # The layout record says the same in boxes: the face inside the frame, clear of the text block.
        record = variant["layout"]
        [face] = record["faces"]
        assert face[0] >= 0 and face[1] >= 0 and face[2] <= variant["width"] and face[3] <= variant["height"]
        assert Box(*face).overlap(Box(*record["text_box"])) == 0, variant["name"]
        assert record["detector"] == "rekognition" and record["fill"] in ("none", "plain", "photo")
        # The source part shown, scaled, is the frame part it covers (to a pixel).
        (sl, st, sr, sb), (fl, ft, fr, fb) = record["source_box"], record["frame_box"]
        assert abs((sr - sl) * record["scale"] - (fr - fl)) <= 1 and abs((sb - st) * record["scale"] - (fb - ft)) <= 1

    # Another product with the same picture: the cached answer, free; a retry of the first keeps what it paid.
    assert service.handle(CID, 1, SOURCE) == "complete"
    assert store.get(CID)["products"][1]["cost_usd"] == 0
    store.update_product(CID, 0, status="rendering")
    assert service.handle(CID, 0, SOURCE) == "complete"
    assert store.get(CID)["products"][0]["cost_usd"] == pytest.approx(2 * REKOGNITION_USD_PER_IMAGE_PER_CALL)
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("code", "status"),
    [("ThrottlingException", 500), ("AccessDeniedException", 400), ("InvalidImageFormatException", 400)],
)
def test_a_rekognition_failure_falls_back_to_the_offline_detector_and_says_so(world, code, status):
    _, store, service, stubber = world
    stubber.add_client_error(
        "detect_labels", service_error_code=code, service_message="stand-in", http_status_code=status
    )
    assert service.handle(CID, 0, SOURCE) == "complete"
    product = store.get(CID)["products"][0]
    assert code in product["subjects"]["detector"] and "detector failed" in product["subjects"]["detector"]
    assert product["subjects"]["faces"] == [] and product.get("cost_usd", 0) == 0
