"""The Bedrock image models the project has adapters for (`image_models.json`), typed, and what a stack's choice of
one means: which id InvokeModel gets, in which Region, whether through a cross-Region inference profile, and
whether the model is still alive on a given day. Pure: read by the stack's settings (refused or warned about at
preview), the generator, the variants (outpainting) and the API's estimate, from this one place.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

MODELS_FILE = Path(__file__).resolve().parent / "image_models.json"
TEXT_TO_IMAGE, OUTPAINT = "text-to-image", "outpaint"
# System-defined cross-Region inference profiles are `<geography>.<model id>` (Bedrock user guide, inference
# profiles): us., eu., apac., ... route within a geography; global. routes to any commercial Region.
GEOGRAPHIES = ("us", "us-gov", "eu", "apac", "jp", "au", "ca", "global")


class UnknownModel(ValueError):
    """A model id the project has no adapter for, or one that has ended: the message says which, and what to use."""


@dataclass(frozen=True)
class Lifecycle:
    state: str  # Active | Legacy (as AWS last showed it)
    legacy: date | None
    eol: date | None
    source: str
    read: date

    def ended_by(self, today: date) -> bool:
        """AWS: on (or soon after) the EOL date, requests to the model fail."""
        return self.eol is not None and today >= self.eol

    def legacy_by(self, today: date) -> bool:
        return self.state == "Legacy" or (self.legacy is not None and today >= self.legacy)


@dataclass(frozen=True)
class Profile:
    geography: str
    sources: tuple[str, ...]  # Regions the profile may be called from
    destinations: tuple[str, ...]  # Regions it routes requests to


@dataclass(frozen=True)
class ImageModel:
    model_id: str
    name: str
    task: str
    family: str
    editing: tuple[str, ...]
    lifecycle: Lifecycle
    regions: tuple[str, ...]  # where the bare id is invoked on demand
    profiles: dict[str, Profile]
    usd_per_image: float
    limits: dict[str, Any]

    def profile_id(self, geography: str) -> str:
        return f"{geography}.{self.model_id}"

    def ways_to_call(self) -> str:
        """Where and how the model can be called, in words."""
        ways = [f"{self.model_id} in {', '.join(self.regions)}"] if self.regions else []
        ways += [
            f"{self.profile_id(geo)} from {', '.join(profile.sources)}"
            for geo, profile in sorted(self.profiles.items())
        ]
        return "; ".join(ways) or "nowhere"


@dataclass(frozen=True)
class EndedModel:
    model_id: str
    name: str
    task: str
    legacy: date | None
    eol: date | None  # None: AWS's pages no longer give the date
    source: str


@dataclass(frozen=True)
class ModelChoice:
    """A stack's model: what InvokeModel is called with, from which Region, and what IAM must allow."""

    invoke_id: str  # the modelId InvokeModel gets: the model id, or an inference profile's id
    model: ImageModel
    region: str  # the Region the functions call Bedrock in (a profile's source Region)
    profile: Profile | None

    def foundation_model_arns(self) -> list[str]:
        """The foundation model in every Region a call may run in (AWS: with an inference profile, the model in
        each of its destination Regions; a global profile's routes are named by the Region-less ARN)."""
        if self.profile is None:
            return [foundation_model_arn(self.region, self.model.model_id)]
        regions = list(self.profile.destinations)
        if self.profile.geography == "global":
            regions = [self.region, ""]
        return [foundation_model_arn(region, self.model.model_id) for region in regions]

    def profile_arn(self, account_id: str) -> str | None:
        if self.profile is None:
            return None
        return f"arn:aws:bedrock:{self.region}:{account_id}:inference-profile/{self.invoke_id}"


def foundation_model_arn(region: str, model_id: str) -> str:
    return f"arn:aws:bedrock:{region}::foundation-model/{model_id}"


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@lru_cache(maxsize=1)
def _document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(MODELS_FILE.read_text())
    return document


@lru_cache(maxsize=1)
def models() -> dict[str, ImageModel]:
    """Every model with an adapter, by model id."""
    table = {}
    for model_id, entry in _document()["models"].items():
        lifecycle = entry["lifecycle"]
        table[model_id] = ImageModel(
            model_id=model_id,
            name=entry["name"],
            task=entry["task"],
            family=entry["family"],
            editing=tuple(entry["editing"]),
            lifecycle=Lifecycle(
                lifecycle["state"],
                _date(lifecycle["legacy"]),
                _date(lifecycle["eol"]),
                lifecycle["source"],
                date.fromisoformat(lifecycle["read"]),
            ),
            regions=tuple(entry["regions"]),
            profiles={
                geo: Profile(geo, tuple(profile["sources"]), tuple(profile["destinations"]))
                for geo, profile in entry["profiles"].items()
            },
            usd_per_image=float(entry["usd_per_image"]),
            limits=dict(entry["limits"]),
        )
    return table


@lru_cache(maxsize=1)
def ended_models() -> dict[str, EndedModel]:
    return {
        model_id: EndedModel(
            model_id, entry["name"], entry["task"], _date(entry["legacy"]), _date(entry["eol"]), entry["source"]
        )
        for model_id, entry in _document()["ended"].items()
    }


def split_profile(invoke_id: str) -> tuple[str | None, str]:
    """(geography, model id) of an inference profile id; (None, the id) for a bare model id."""
    head, _, rest = invoke_id.partition(".")
    if rest and head in GEOGRAPHIES:
        return head, rest
    return None, invoke_id


def active_choices(task: str, today: date) -> list[str]:
    """The ids to offer instead, for `task`: models of the table not ended by `today`, with how to call them."""
    return [
        f"{model.model_id} ({model.ways_to_call()})"
        for model in models().values()
        if model.task == task and not model.lifecycle.ended_by(today)
    ]


def image_model(invoke_id: str, task: str | None = None, today: date | None = None) -> ImageModel:
    """The model behind a model or profile id; UnknownModel (saying what to use) for an ended or unknown one.
    `today`: the date the choices and an ended model's wording are for (default: today, UTC)."""
    _, model_id = split_profile(invoke_id)
    model = models().get(model_id)
    if model is not None and task in (None, model.task):
        return model
    wanted = task or (model.task if model else TEXT_TO_IMAGE)
    today = today or datetime.now(UTC).date()
    ended = ended_models().get(model_id)
    choices = "; ".join(active_choices(wanted, today)) or "none in the table"
    if ended is not None:
        if ended.eol is None:
            when = "reached end of life on Amazon Bedrock (AWS's pages no longer give the date)"
        elif today >= ended.eol:
            when = f"reached end of life on Amazon Bedrock on {ended.eol.isoformat()}"
        else:  # the project dropped its adapter before the model's last day
            when = f"is Legacy on Amazon Bedrock and reaches end of life on {ended.eol.isoformat()}"
        raise UnknownModel(
            f"{ended.name} {when} ({ended.source}); the project no longer calls it. Active {wanted} models: {choices}"
        )
    if model is not None:
        raise UnknownModel(f"{model.name} is a {model.task} model, not a {wanted} one; {wanted} models: {choices}")
    raise UnknownModel(f"the project has no adapter for this model; {wanted} models: {choices}")


def choose(invoke_id: str, region: str, task: str, today: date) -> ModelChoice:
    """A stack's choice, checked: the model exists for `task`, has not ended by `today`, and is callable from
    `region` as given (bare id: served there on demand; profile id: the profile exists and `region` is one of its
    source Regions). Raises UnknownModel in words a platform engineer can act on."""
    model = image_model(invoke_id, task, today)
    if model.lifecycle.ended_by(today):
        assert model.lifecycle.eol is not None
        raise UnknownModel(
            f"{model.name} reached end of life on Amazon Bedrock on {model.lifecycle.eol.isoformat()} "
            f"({model.lifecycle.source}): requests to it fail. Active {task} models: "
            f"{'; '.join(active_choices(task, today)) or 'none in the table'}"
        )
    geography, _ = split_profile(invoke_id)
    if geography is None:
        if region not in model.regions:
            how = "set creative-automation:bedrockRegion to its Region" if model.regions else ""
            how += (" or " if how else "") + "use its inference profile id" if model.profiles else ""
            raise UnknownModel(
                f"{model.name} is not served on demand in {region}: call it as {model.ways_to_call()} ({how})"
            )
        return ModelChoice(invoke_id, model, region, None)
    profile = model.profiles.get(geography)
    if profile is None:
        raise UnknownModel(
            f"Amazon Bedrock has no {geography}. inference profile for {model.name}: call it as {model.ways_to_call()}"
        )
    if region not in profile.sources:
        raise UnknownModel(
            f"the inference profile {invoke_id} can be called from {', '.join(profile.sources)}, not from {region} "
            "(set creative-automation:bedrockRegion to one of them)"
        )
    return ModelChoice(invoke_id, model, region, profile)


def lifecycle_warning(model: ImageModel, today: date) -> str | None:
    """A Legacy model still works, but not for new accounts, and stops on its EOL date: worth a warning."""
    if not model.lifecycle.legacy_by(today):
        return None
    since = f" since {model.lifecycle.legacy.isoformat()}" if model.lifecycle.legacy else ""
    until = f"; requests fail from {model.lifecycle.eol.isoformat()} (its EOL date)" if model.lifecycle.eol else ""
    return (
        f"{model.name} is Legacy on Amazon Bedrock{since}{until}; new accounts cannot use it at all. "
        f"Move to an Active {model.task} model: {'; '.join(active_choices(model.task, today)) or 'none in the table'}"
    )
