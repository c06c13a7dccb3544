"""An S3 client that answers as AWS does under one identity policy, for tests: moto allows every call.

`AuthorizedS3(client, policy)` passes a call on to `client` (moto) only when `policy` allows it, and otherwise
raises the ClientError AWS gives (AccessDenied, HTTP 403). Evaluation as the IAM User Guide's "Policy evaluation
logic" states it for one identity policy: an explicit Deny wins, then an Allow whose Action, Resource and every
Condition match, else the implicit deny. Patterns: `*` any characters, `?` one; actions without case, resources
with. Conditions: StringEquals, StringLike, ArnEquals, ArnLike; a key the request does not carry does not match.
Another operator raises, so a policy this cannot judge fails the test instead of passing it.

Requests, as the Service Authorization Reference for Amazon S3 maps them: GetObject and HeadObject need
s3:GetObject on the object, PutObject s3:PutObject, DeleteObject s3:DeleteObject, ListObjectsV2 s3:ListBucket on
the bucket with the condition key s3:prefix set to the request's Prefix (absent when it gives none). A GetObject
of a missing key answers NoSuchKey (404) only to a caller that may list the bucket (s3:ListBucket, evaluated
without s3:prefix, as in the GetObject request), else AccessDenied (403) (Amazon S3 API Reference, GetObject,
"Permissions").
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

from botocore.exceptions import ClientError

OPERATORS = {
    "StringEquals": lambda value, pattern: value == pattern,
    "StringLike": lambda value, pattern: fnmatch.fnmatchcase(value, pattern),
    "ArnEquals": lambda value, pattern: value == pattern,
    "ArnLike": lambda value, pattern: fnmatch.fnmatchcase(value, pattern),
}


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _matches(statement: dict, action: str, resource: str, context: dict[str, str]) -> bool:
    actions = _listed(statement.get("Action", []))
    if not any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in actions):
        return False
    if not any(fnmatch.fnmatchcase(resource, pattern) for pattern in _listed(statement.get("Resource", []))):
        return False
    for operator, conditions in (statement.get("Condition") or {}).items():
        if operator not in OPERATORS:
            raise NotImplementedError(f"condition operator {operator} is not evaluated here")
        for key, patterns in conditions.items():
            if key not in context:
                return False
            if not any(OPERATORS[operator](context[key], pattern) for pattern in _listed(patterns)):
                return False
    return True


def allowed(policy: dict, action: str, resource: str, context: dict[str, str] | None = None) -> bool:
    statements = [s for s in policy["Statement"] if _matches(s, action, resource, context or {})]
    return not any(s["Effect"] == "Deny" for s in statements) and any(s["Effect"] == "Allow" for s in statements)


def access_denied(operation: str) -> ClientError:
    return ClientError(
        {"Error": {"Code": "AccessDenied", "Message": "Access Denied"}, "ResponseMetadata": {"HTTPStatusCode": 403}},
        operation,
    )


class AuthorizedS3:
    """`client` (moto) as the policy's holder sees S3. Methods it does not judge are refused."""

    def __init__(self, client: Any, policy: str | dict):
        self.client = client
        self.policy = json.loads(policy) if isinstance(policy, str) else policy
        self.meta = client.meta
        self.calls: list[tuple[str, str, dict[str, str]]] = []  # (action, resource, context) of each call made

    def _check(self, operation: str, action: str, resource: str, context: dict[str, str] | None = None) -> None:
        self.calls.append((action, resource, context or {}))
        if not allowed(self.policy, action, resource, context):
            raise access_denied(operation)

    def get_object(self, **kwargs: Any) -> Any:
        bucket, key = kwargs["Bucket"], kwargs["Key"]
        self._check("GetObject", "s3:GetObject", f"arn:aws:s3:::{bucket}/{key}")
        try:
            return self.client.get_object(**kwargs)
        except ClientError as error:
            if error.response["Error"]["Code"] == "NoSuchKey" and not allowed(
                self.policy, "s3:ListBucket", f"arn:aws:s3:::{bucket}"
            ):
                raise access_denied("GetObject") from error
            raise

    def put_object(self, **kwargs: Any) -> Any:
        self._check("PutObject", "s3:PutObject", f"arn:aws:s3:::{kwargs['Bucket']}/{kwargs['Key']}")
        return self.client.put_object(**kwargs)

    def delete_object(self, **kwargs: Any) -> Any:
        self._check("DeleteObject", "s3:DeleteObject", f"arn:aws:s3:::{kwargs['Bucket']}/{kwargs['Key']}")
        return self.client.delete_object(**kwargs)

    def list_objects_v2(self, **kwargs: Any) -> Any:
        context = {"s3:prefix": kwargs["Prefix"]} if "Prefix" in kwargs else {}
        self._check("ListObjectsV2", "s3:ListBucket", f"arn:aws:s3:::{kwargs['Bucket']}", context)
        return self.client.list_objects_v2(**kwargs)

    def get_paginator(self, operation: str) -> Any:
        assert operation == "list_objects_v2", f"paginator {operation} is not judged here"
        outer = self

        class Pages:
            def paginate(self, **kwargs: Any) -> Any:
                context = {"s3:prefix": kwargs["Prefix"]} if "Prefix" in kwargs else {}
                outer._check("ListObjectsV2", "s3:ListBucket", f"arn:aws:s3:::{kwargs['Bucket']}", context)
                return outer.client.get_paginator(operation).paginate(**kwargs)

        return Pages()

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"AuthorizedS3 does not judge {name}: add it, with the action AWS requires")
