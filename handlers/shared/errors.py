"""Transient or permanent: what to retry.

Throttling, timeouts, 5xx and dropped connections are transient: the invocation fails and is retried (SQS
redelivery, Lambda's async retries). Everything else is permanent: reported, not retried forever.
"""

from __future__ import annotations

from botocore.exceptions import ClientError, HTTPClientError, ReadTimeoutError
from botocore.exceptions import ConnectionError as BotoConnectionError

TRANSIENT_CODES = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "SlowDown",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "ProvisionedThroughputExceededException",
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "InternalServerException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "ServiceException",
    "ModelNotReadyException",
    "ModelTimeoutException",
    "EC2ThrottledException",
    "OperationAborted",
}


def is_transient(error: BaseException) -> bool:
    if isinstance(error, (BotoConnectionError, ReadTimeoutError, HTTPClientError, TimeoutError, ConnectionError)):
        return True
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return code in TRANSIENT_CODES or int(status) >= 500 or int(status) == 429
    return False


def error_code(error: BaseException) -> str:
    if isinstance(error, ClientError):
        code: str = error.response.get("Error", {}).get("Code", "ClientError")
        return code
    return type(error).__name__
