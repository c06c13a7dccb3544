"""The campaign API's routes and the scope each needs (pure, no imports beyond the standard library): the function
registers its handlers from this table, and the stack makes its API Gateway routes and the Cognito resource server's
scopes from it."""

from __future__ import annotations

import re
from dataclasses import dataclass

RESOURCE_SERVER = "campaigns"  # the scopes' prefix: `campaigns/read`
SCOPE_DESCRIPTIONS = {
    "read": "Follow campaigns and list versions",
    "write": "Submit, cancel and re-render campaigns",
}
READ_SCOPE, WRITE_SCOPE = (f"{RESOURCE_SERVER}/{name}" for name in ("read", "write"))


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as API Gateway spells it: /campaigns/{id}
    scope: str  # the scope a token needs (GET reads, POST writes)

    @property
    def key(self) -> str:
        """API Gateway's route key: `POST /campaigns/{id}/cancel`."""
        return f"{self.method} {self.path}"

    @property
    def resolver_path(self) -> str:
        """Powertools' spelling of the path: `/campaigns/<id>` (the parameter reaches the handler by that name)."""
        return re.sub(r"\{(\w+)\}", r"<\1>", self.path)


SUBMIT = Route("POST", "/campaigns", WRITE_SCOPE)
LIST = Route("GET", "/campaigns", READ_SCOPE)
GET = Route("GET", "/campaigns/{id}", READ_SCOPE)
CANCEL = Route("POST", "/campaigns/{id}/cancel", WRITE_SCOPE)
RERENDER = Route("POST", "/campaigns/{id}/rerender", WRITE_SCOPE)
VERSIONS = Route("GET", "/versions", READ_SCOPE)
ROUTES = (SUBMIT, LIST, GET, CANCEL, RERENDER, VERSIONS)
