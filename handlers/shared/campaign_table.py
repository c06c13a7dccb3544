"""The campaign index (DynamoDB), stated once for the API, the functions that settle campaigns, the stack and the
local run: one item per campaign, keyed by owner (a team) and campaign id, with a local secondary index that
lists an owner's campaigns by creation time.

Chosen over an owner prefix in the bucket: a listing pages with a cursor and filters by status without reading
every manifest of the team.
"""

from __future__ import annotations

from typing import Any

OWNER = "owner"  # hash key: the caller's team (or the token's subject)
CAMPAIGN_ID = "campaign_id"  # range key
CREATED_AT = "created_at"  # ISO 8601 UTC with milliseconds: sorts as time
BY_CREATED = "by-created"  # LSI: owner + created_at, read newest first

HASH_KEY, RANGE_KEY = OWNER, CAMPAIGN_ID
# Every attribute a key names, with its DynamoDB type (all strings).
KEY_ATTRIBUTES = (OWNER, CAMPAIGN_ID, CREATED_AT)


def create_table_args(name: str) -> dict[str, Any]:
    """CreateTable arguments for the index (the local run's and the tests'; the stack declares the same)."""
    return {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in KEY_ATTRIBUTES],
        "KeySchema": [{"AttributeName": HASH_KEY, "KeyType": "HASH"}, {"AttributeName": RANGE_KEY, "KeyType": "RANGE"}],
        "LocalSecondaryIndexes": [
            {
                "IndexName": BY_CREATED,
                "KeySchema": [
                    {"AttributeName": OWNER, "KeyType": "HASH"},
                    {"AttributeName": CREATED_AT, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    }
