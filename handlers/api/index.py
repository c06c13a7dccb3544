"""The campaign index (DynamoDB; schema in handlers/shared/campaign_table.py): what the API reads and writes."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from handlers.shared.campaign_table import BY_CREATED, CAMPAIGN_ID, OWNER

_serialize, _deserialize = TypeSerializer().serialize, TypeDeserializer().deserialize


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _serialize(Decimal(str(v)) if isinstance(v, float) else v) for k, v in values.items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    plain = {k: _deserialize(v) for k, v in item.items()}
    return {k: float(v) if isinstance(v, Decimal) else v for k, v in plain.items()}


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    last_key: dict[str, Any] | None  # DynamoDB's LastEvaluatedKey: more may follow


@dataclass
class CampaignIndex:
    dynamodb: Any
    table: str

    def put(self, item: dict[str, Any]) -> None:
        self.dynamodb.put_item(
            TableName=self.table,
            Item=to_item(item),
            ConditionExpression="attribute_not_exists(#o)",
            ExpressionAttributeNames={"#o": OWNER},
        )

    def get(self, owner: str, campaign_id: str) -> dict[str, Any] | None:
        found = self.dynamodb.get_item(
            TableName=self.table, Key=to_item({OWNER: owner, CAMPAIGN_ID: campaign_id}), ConsistentRead=True
        )
        return from_item(found["Item"]) if "Item" in found else None

    def page(self, owner: str, limit: int, start: dict[str, Any] | None, status: str | None) -> Page:
        """The owner's campaigns newest first. With a status filter DynamoDB reads `limit` items and returns
        those that match: a page may be short, and `last_key` says whether to go on."""
        request: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": BY_CREATED,
            "KeyConditionExpression": "#o = :o",
            "ExpressionAttributeNames": {"#o": OWNER},
            "ExpressionAttributeValues": to_item({":o": owner}),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start:
            request["ExclusiveStartKey"] = start
        if status:
            request["FilterExpression"] = "#s = :s"
            request["ExpressionAttributeNames"]["#s"] = "status"
            request["ExpressionAttributeValues"].update(to_item({":s": status}))
        answer = self.dynamodb.query(**request)
        return Page([from_item(i) for i in answer.get("Items", [])], answer.get("LastEvaluatedKey"))

    def set_status(self, owner: str, campaign_id: str, status: str) -> None:
        self._update(owner, campaign_id, "SET #s = :s", {"#s": "status"}, {":s": status})

    def add_rerender(self, owner: str, campaign_id: str, record: dict[str, Any]) -> None:
        self._update(
            owner,
            campaign_id,
            "SET #r = list_append(if_not_exists(#r, :none), :r)",
            {"#r": "rerenders"},
            {":r": [record], ":none": []},
        )

    def _update(
        self, owner: str, campaign_id: str, expression: str, names: dict[str, str], values: dict[str, Any]
    ) -> None:
        self.dynamodb.update_item(
            TableName=self.table,
            Key=to_item({OWNER: owner, CAMPAIGN_ID: campaign_id}),
            UpdateExpression=expression,
            ConditionExpression="attribute_exists(#owner)",
            ExpressionAttributeNames={**names, "#owner": OWNER},
            ExpressionAttributeValues=to_item(values),
        )
