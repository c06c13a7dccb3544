"""Asynchronous invocation of the next function (parser -> generator/variants, generator -> variants).

In AWS this is `lambda:InvokeFunction` with InvocationType=Event: Lambda queues the event, retries a
failed run (asyncInvoke.maxRetryAttempts) and then sends it to the on-failure destination. The local
run and the tests replace the transport with `set_transport` to run the next function in-process.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

Transport = Callable[[str, dict[str, Any]], None]
_transport: Transport | None = None
_lambda_client: Any = None


def set_transport(transport: Transport | None) -> None:
    """Route invocations to `transport(function_env_name, payload)` instead of Lambda (None: back to Lambda)."""
    global _transport
    _transport = transport


def invoke_async(function_env: str, payload: dict[str, Any]) -> None:
    """Invoke the function named by env var `function_env` (GENERATOR_FUNCTION or VARIANTS_FUNCTION)."""
    if _transport is not None:
        _transport(function_env, payload)
        return
    global _lambda_client
    if _lambda_client is None:
        import boto3

        _lambda_client = boto3.client("lambda")
    _lambda_client.invoke(
        FunctionName=os.environ[function_env], InvocationType="Event", Payload=json.dumps(payload).encode()
    )
