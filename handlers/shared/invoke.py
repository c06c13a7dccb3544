"""Asynchronous invocation of the next function (parser -> generator/variants, generator -> variants).

In AWS this is `lambda:InvokeFunction` with InvocationType=Event: Lambda queues the event, retries a
failed run (asyncInvoke.maxRetryAttempts) and then sends it to the on-failure destination. The local
run and the tests replace the transport with `set_transport` to run the next function in-process.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from handlers.shared.environment import function_name
from handlers.shared.payloads import Payload

Transport = Callable[[str, dict[str, Any]], None]
_transport: Transport | None = None
_lambda_client: Any = None


def set_transport(transport: Transport | None) -> None:
    """Route invocations to `transport(function_variable, event)` instead of Lambda (None: back to Lambda);
    `function_variable` is GENERATOR_FUNCTION or VARIANTS_FUNCTION, `event` what Lambda would deliver."""
    global _transport
    _transport = transport


def invoke_async(payload: Payload) -> None:
    """Invoke the function that takes `payload` (named by its environment variable, payload.FUNCTION)."""
    if _transport is not None:
        _transport(payload.FUNCTION, payload.to_event())
        return
    global _lambda_client
    if _lambda_client is None:
        import boto3

        _lambda_client = boto3.client("lambda")
    _lambda_client.invoke(
        FunctionName=function_name(payload.FUNCTION),
        InvocationType="Event",
        Payload=json.dumps(payload.to_event()).encode(),
    )
