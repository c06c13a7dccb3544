"""What a photo shows (pure): its subject and the faces in it, as a detector found them, in source pixels.

The framing keeps the subject and every face whole and clear of the message and the logo: it frames the box that
holds them all. Amazon Rekognition finds them in AWS (handlers/variants/rekognition.py reads its answers into
`Subjects` here); the offline detector (detect.py: alpha, or what stands out from a smooth background) finds a
subject and no faces.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from handlers.variants.layout import Box

# Rekognition labels whose boxes are the setting, not what a campaign shows: a tin on a table is the tin.
SETTING_CATEGORIES = frozenset({"Furniture and Furnishings", "Buildings and Architecture", "Home and Indoors"})
SETTING_LABELS = frozenset({"Table", "Furniture", "Shelf", "Desk", "Chair", "Wall", "Floor", "Room", "Indoors"})
MIN_SUBJECT_CONFIDENCE = 60.0  # percent: a less certain instance is not framed around
MIN_FACE_CONFIDENCE = 90.0  # percent: DetectFaces' own confidence that the box holds a face


@dataclass(frozen=True)
class Subjects:
    subject: Box | None  # the thing the photo shows, None when none was found
    faces: tuple[Box, ...]
    detector: str  # "rekognition", or the offline method ("alpha", "background", "none")
    confidence: float | None  # 0-1: how sure the detector is of the subject; None: it does not say (offline)
    label: str = ""  # what the detector called the subject (Rekognition's label name)
    cost_usd: float = 0.0  # what finding them cost (0 offline, or when the answers came from the cache)

    @property
    def box(self) -> Box | None:
        """What the framing must keep whole and uncovered: the subject and every face."""
        return union([b for b in (self.subject, *self.faces) if b is not None])

    def to_json(self) -> dict[str, Any]:
        return {
            "detector": self.detector,
            "subject": _box_json(self.subject),
            "label": self.label,
            "confidence": None if self.confidence is None else round(self.confidence, 3),
            "faces": [_box_json(face) for face in self.faces],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Subjects:
        subject = data.get("subject")
        return cls(
            Box(*subject) if subject else None,
            tuple(Box(*face) for face in data.get("faces", [])),
            str(data["detector"]),
            None if data.get("confidence") is None else float(data["confidence"]),
            str(data.get("label", "")),
        )


def union(boxes: Iterable[Box]) -> Box | None:
    found = list(boxes)
    if not found:
        return None
    return Box(
        min(b.left for b in found), min(b.top for b in found), max(b.right for b in found), max(b.bottom for b in found)
    )


def from_rekognition(labels: Mapping[str, Any], faces: Mapping[str, Any], size: tuple[int, int]) -> Subjects:
    """Subjects from DetectLabels' and DetectFaces' answers for an image of `size` (their boxes are ratios of
    its width and height). The subject is the most confident label instance that is not the setting (a table, a
    shelf, a wall); faces are the ones DetectFaces is sure of."""
    best: tuple[float, Box, str] | None = None
    for label in labels.get("Labels", []):
        categories = {category.get("Name") for category in label.get("Categories", [])}
        if label.get("Name") in SETTING_LABELS or categories & SETTING_CATEGORIES:
            continue
        for instance in label.get("Instances", []):
            confidence = float(instance.get("Confidence", label.get("Confidence", 0.0)))
            box = _pixels(instance.get("BoundingBox"), size)
            if box is not None and confidence >= MIN_SUBJECT_CONFIDENCE and (best is None or confidence > best[0]):
                best = (confidence, box, str(label.get("Name", "")))
    found_faces = tuple(
        box
        for face in faces.get("FaceDetails", [])
        if float(face.get("Confidence", 0.0)) >= MIN_FACE_CONFIDENCE
        and (box := _pixels(face.get("BoundingBox"), size)) is not None
    )
    if best is None:
        return Subjects(None, found_faces, "rekognition", 0.0)
    confidence, box, name = best
    return Subjects(box, found_faces, "rekognition", confidence / 100, name)


def _pixels(ratio: Mapping[str, float] | None, size: tuple[int, int]) -> Box | None:
    """A Rekognition BoundingBox (Left, Top, Width, Height as ratios; they may reach past the image) in pixels,
    clipped to the image; None when nothing of it is inside."""
    if not ratio:
        return None
    width, height = size
    left, top = ratio.get("Left", 0.0) * width, ratio.get("Top", 0.0) * height
    box = Box(
        max(0, int(left)),
        max(0, int(top)),
        min(width, round(left + ratio.get("Width", 0.0) * width)),
        min(height, round(top + ratio.get("Height", 0.0) * height)),
    )
    return box if box.width > 0 and box.height > 0 else None


def _box_json(box: Box | None) -> list[int] | None:
    return None if box is None else [box.left, box.top, box.right, box.bottom]
