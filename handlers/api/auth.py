"""Who is calling (pure): the JWT claims API Gateway's authorizer verified, in the payload 2.0 event.

API Gateway already refuses a missing or invalid token and a route's missing scope; the handler checks again
from the claims so the local run and the tests behave the same, and to name the owner (the caller's team).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers.api.checks import ApiError
from handlers.parser.wording import shorten


@dataclass(frozen=True)
class Caller:
    owner: str  # the team whose campaigns the caller sees (or the token's subject when it names no team)
    subject: str
    scopes: frozenset[str]

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            held = ", ".join(sorted(self.scopes)) or "none"
            raise ApiError(
                403,
                "MissingScope",
                f"this route needs the scope {scope}; the token holds {held}. Ask for a token with {scope}",
            )


def caller(event: dict[str, Any], team_claim: str) -> Caller:
    claims = (((event.get("requestContext") or {}).get("authorizer") or {}).get("jwt") or {}).get("claims")
    if not isinstance(claims, dict) or not claims.get("sub"):
        raise ApiError(401, "Unauthorized", "no verified token: send 'Authorization: Bearer <access token>'")
    subject = str(claims["sub"])
    scopes = frozenset(str(claims.get("scope") or "").split())
    teams = _values(claims.get(team_claim))
    if teams is None:
        return Caller(subject, subject, scopes)
    if len(teams) != 1:
        raise ApiError(
            403,
            "AmbiguousTeam",
            f"the token names {len(teams)} teams in {team_claim} ({shorten(', '.join(teams), 80) or 'none'}): "
            "a caller acts for exactly one team; use a token of a user in one group",
        )
    return Caller(teams[0], subject, scopes)


def _values(claim: Any) -> list[str] | None:
    """A claim's values. API Gateway hands list claims over flattened as text, `[team-a team-b]`."""
    if claim is None:
        return None
    if isinstance(claim, list):
        return [str(value) for value in claim if str(value)]
    text = str(claim).strip()
    if text.startswith("[") and text.endswith("]"):
        return text[1:-1].replace(",", " ").split()
    return [text] if text else []
