"""A photo's subject and faces from Rekognition's answers (pure): ratios to pixels, the setting left out."""

from handlers.variants.layout import Box
from handlers.variants.subjects import Subjects, from_rekognition, union
from tests.documented import REKOGNITION_DETECT_LABELS_EXAMPLE

NO_FACES = {"FaceDetails": []}


def label(name, box, confidence=95.0, categories=()):
    left, top, width, height = box
    return {
        "Name": name,
        "Confidence": confidence,
        "Categories": [{"Name": c} for c in categories],
        "Instances": [
            {"BoundingBox": {"Left": left, "Top": top, "Width": width, "Height": height}, "Confidence": confidence}
        ],
    }


def test_the_documented_answer_gives_the_phone_in_pixels():
    """AWS's example: a phone at Left 0.00018, Top 0.5086, 0.0775 wide, 0.155 high; 'Urban' has no box."""
    found = from_rekognition(REKOGNITION_DETECT_LABELS_EXAMPLE, NO_FACES, (1000, 800))
    assert found.subject == Box(0, 406, 78, 531)  # 0.18 -> 0; 406.9 -> 406 (floor); 77.7 -> 78; 530.9 -> 531
    assert (found.label, found.detector, found.faces) == ("Mobile Phone", "rekognition", ())
    assert round(found.confidence, 4) == 0.984


def test_a_table_under_the_product_is_the_setting_not_the_subject():
    answer = {
        "Labels": [
            label("Table", (0.0, 0.55, 1.0, 0.45), 99.0, ["Furniture and Furnishings"]),
            label("Tin", (0.40, 0.30, 0.20, 0.30), 81.0),
        ]
    }
    assert from_rekognition(answer, NO_FACES, (1000, 1000)).subject == Box(400, 300, 600, 600)


def test_faces_are_kept_with_the_subject_and_unsure_ones_dropped():
    faces = {
        "FaceDetails": [
            {"BoundingBox": {"Left": 0.3, "Top": 0.2, "Width": 0.4, "Height": 0.35}, "Confidence": 99.9},
            {"BoundingBox": {"Left": 0.9, "Top": 0.9, "Width": 0.05, "Height": 0.05}, "Confidence": 42.0},
        ]
    }
    answer = {"Labels": [label("Bottle", (0.1, 0.6, 0.2, 0.3))]}
    found = from_rekognition(answer, faces, (500, 600))
    assert found.faces == (Box(150, 120, 350, 330),)
    assert found.box == Box(50, 120, 350, 540)  # the bottle and the face: what no crop or text may touch


def test_a_box_reaching_past_the_image_is_clipped_and_one_outside_it_dropped():
    answer = {"Labels": [label("Person", (-0.1, 0.5, 0.5, 0.7)), label("Kite", (1.2, 0.1, 0.1, 0.1), 99.0)]}
    found = from_rekognition(answer, NO_FACES, (200, 100))
    assert found.subject == Box(0, 50, 80, 100)


def test_faces_alone_are_enough_to_frame_around():
    faces = {"FaceDetails": [{"BoundingBox": {"Left": 0.5, "Top": 0.1, "Width": 0.2, "Height": 0.2}, "Confidence": 99}]}
    found = from_rekognition({"Labels": []}, faces, (100, 100))
    assert found.subject is None and found.box == Box(50, 10, 70, 30) and found.confidence == 0.0


def test_subjects_round_trip_through_the_cache_record():
    found = Subjects(Box(1, 2, 3, 4), (Box(5, 6, 7, 8),), "rekognition", 0.91, "Person", 0.002)
    again = Subjects.from_json(found.to_json())
    assert again == Subjects(Box(1, 2, 3, 4), (Box(5, 6, 7, 8),), "rekognition", 0.91, "Person")  # cost not kept
    assert union([]) is None
