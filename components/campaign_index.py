"""The campaign index: a DynamoDB table of every campaign submitted through the API, by owner and id.

Its keys and why it is a table are stated once in `handlers/shared/campaign_table.py` (GetItem by owner and id, so
another team's id is simply not found; the local secondary index lists a team's campaigns newest first). Items are
written by the API and kept current by every function that settles a campaign (UpdateItem).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.settings import StackSettings
from handlers.shared import campaign_table


@dataclass
class CampaignIndexArgs:
    settings: StackSettings


class CampaignIndex(pulumi.ComponentResource):
    """`table` (its `name` and `arn` go to the API, the settler and the functions that settle campaigns)."""

    def __init__(self, name: str, args: CampaignIndexArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("creative-automation:api:CampaignIndex", name, None, opts)
        settings = args.settings
        self.table = aws.dynamodb.Table(
            "campaigns",
            name=settings.names.campaign_table,
            billing_mode="PAY_PER_REQUEST",
            hash_key=campaign_table.HASH_KEY,
            range_key=campaign_table.RANGE_KEY,
            # Only key attributes are declared; the rest of an item (status, campaign_name, ...) needs no schema.
            attributes=[{"name": name, "type": "S"} for name in campaign_table.KEY_ATTRIBUTES],
            local_secondary_indexes=[
                {"name": campaign_table.BY_CREATED, "range_key": campaign_table.CREATED_AT, "projection_type": "ALL"}
            ],
            point_in_time_recovery={"enabled": True},
            # Encrypted with the AWS managed key (aws/dynamodb), so key use shows in CloudTrail.
            server_side_encryption={"enabled": True},
            deletion_protection_enabled=settings.is_production,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"table_name": self.table.name, "table_arn": self.table.arn})
