"""What the settings may be: AWS's hard limits (which moto does not enforce), allowed values and names."""

from __future__ import annotations

import re
from pathlib import Path

PROJECT = "creative-automation"
ROOT = Path(__file__).resolve().parents[2]

# Services built as container images. The Batch worker re-renders a campaign's variants in bulk; `api` answers the
# campaign API, `settler` settles products whose asynchronous invocation never finished.
FUNCTION_SERVICES = ("parser", "generator", "variants", "image-updater", "api", "settler")
SERVICES = (*FUNCTION_SERVICES, "batch-worker")
PIPELINE_FUNCTIONS = ("parser", "generator", "variants")
# One Bedrock call (5 s connect + 60 s read) and 10 s to record its outcome: handlers/generator/models.py.
GENERATOR_MIN_TIMEOUT = 75
# A synchronous Lambda invocation carries at most 6 MB (API Gateway's request to the API function): the body
# and the event around it. Briefs through the API are held to this even where maxBriefBytes is larger.
API_MAX_BRIEF_BYTES = 5 * 1024 * 1024

VERSION_TAG = re.compile(r"^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
ENVIRONMENT_NAME = re.compile(r"^[a-z][a-z0-9-]{0,14}$")
AWS_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# Hard AWS limits that moto does not enforce.
LAMBDA_MAX_TIMEOUT = 900
LAMBDA_MEMORY_RANGE = (128, 10240)
SQS_MAX_VISIBILITY_TIMEOUT = 43200
SQS_MAX_BATCH_WINDOW = 300
SQS_MAX_BATCH_SIZE = 10_000
SQS_MAX_BATCH_SIZE_WITHOUT_WINDOW = 10
FARGATE_VCPU_MEMORY_MIB = {  # vCPU -> allowed memory (MiB), per the AWS Batch/Fargate table
    0.25: (512, 1024, 2048),
    0.5: tuple(range(1024, 4097, 1024)),
    1: tuple(range(2048, 8193, 1024)),
    2: tuple(range(4096, 16385, 1024)),
    4: tuple(range(8192, 30721, 1024)),
    8: tuple(range(16384, 61441, 4096)),
    16: tuple(range(32768, 122881, 8192)),
}
# API Gateway: a stage's throttling is capped by the account's quota (10,000 requests per second, burst 5,000).
API_MAX_RATE_LIMIT = 10_000
API_MAX_BURST_LIMIT = 5_000
# A JWT claim name as identity providers spell them (`cognito:groups`, `custom:team`, `https://example.com/team`).
JWT_CLAIM = re.compile(r"^[A-Za-z0-9_:./-]{1,256}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SNS_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$")
# Names reserved for documentation and testing (RFC 2606): nobody receives mail there. The second-level domains
# and their subdomains, and the four top-level domains.
DOCUMENTATION_MAIL_DOMAINS = ("example.com", "example.net", "example.org")
DOCUMENTATION_TOP_LEVEL_DOMAINS = ("example", "invalid", "localhost", "test")


def is_documentation_address(address: str) -> bool:
    """An e-mail address at a name RFC 2606 reserves (ops@example.com, a@mail.example.org, b@host.test)."""
    domain = address.rsplit("@", 1)[-1].lower().rstrip(".")
    return domain.rsplit(".", 1)[-1] in DOCUMENTATION_TOP_LEVEL_DOMAINS or any(
        domain == reserved or domain.endswith("." + reserved) for reserved in DOCUMENTATION_MAIL_DOMAINS
    )
