"""Values the tests hold the code to, stated from their documentation, never read from the code's own tables.

Each fact once, with where it comes from; tests import these instead of the constants they check.
"""

# docs/CONTRACT.md §5 "Variants (names and sizes)": name -> (width, height), in the contract's order.
CONTRACT_VARIANT_SIZES: dict[str, tuple[int, int]] = {
    "instagram-square": (1080, 1080),
    "instagram-story": (1080, 1920),
    "facebook-feed": (1200, 630),
    "twitter-card": (1200, 675),
    "linkedin-post": (1200, 627),
}

# WCAG 2.x success criterion 1.4.3 (contrast, minimum, level AA): 4.5:1 for normal-size text.
WCAG_AA_CONTRAST = 4.5

# Amazon Bedrock pricing page (https://aws.amazon.com/bedrock/pricing/), on demand, USD for one standard-quality
# image at 1024 x 1024 (or the model's nearest size above 512 x 512).
USD_PER_IMAGE: dict[str, float] = {
    "amazon.nova-canvas-v1:0": 0.04,
    "amazon.titan-image-generator-v1": 0.01,  # 0.008 up to 512 x 512; 0.012 is premium quality
    "amazon.titan-image-generator-v2:0": 0.01,
    "stability.stable-diffusion-xl-v1": 0.04,
    "stability.sd3-5-large-v1:0": 0.08,
    "stability.stable-image-core-v1:1": 0.04,
    "stability.stable-image-ultra-v1:1": 0.14,
}

# The largest seed each model accepts (Bedrock user guide, inference parameters per model): Nova Canvas
# 0..858,993,459; Titan Image Generator 0..2,147,483,646; SDXL 0..4,294,967,295; SD3.5 and Stable Image
# 0..4,294,967,294.
MAX_SEED: dict[str, int] = {
    "amazon.nova-canvas-v1:0": 858_993_459,
    "amazon.titan-image-generator-v1": 2_147_483_646,
    "amazon.titan-image-generator-v2:0": 2_147_483_646,
    "stability.stable-diffusion-xl-v1": 4_294_967_295,
    "stability.sd3-5-large-v1:0": 4_294_967_294,
    "stability.stable-image-core-v1:1": 4_294_967_294,
    "stability.stable-image-ultra-v1:1": 4_294_967_294,
}

# Metrics AWS publishes, with the one dimension each per-resource metric is queried by: AWS/Lambda (Lambda
# developer guide, "Types of metrics for Lambda functions"), AWS/SQS ("Available CloudWatch metrics for
# Amazon SQS") and AWS/ApiGateway for HTTP APIs (API Gateway developer guide, "Monitor CloudWatch metrics for HTTP
# APIs": 4xx and 5xx, not the REST APIs' 4XXError and 5XXError).
AWS_PUBLISHED_METRICS: dict[str, tuple[set[str], tuple[str, ...]]] = {
    "AWS/Lambda": (
        {
            "Invocations",
            "Errors",
            "Throttles",
            "Duration",
            "ConcurrentExecutions",
            "DeadLetterErrors",
            "DestinationDeliveryFailures",
            "IteratorAge",
            "AsyncEventsReceived",
            "AsyncEventAge",
            "AsyncEventsDropped",
            "RecursiveInvocationsDropped",
            "PostRuntimeExtensionsDuration",
            "ProvisionedConcurrentExecutions",
            "ProvisionedConcurrencyUtilization",
        },
        ("FunctionName",),
    ),
    "AWS/SQS": (
        {
            "ApproximateAgeOfOldestMessage",
            "ApproximateNumberOfMessagesDelayed",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesVisible",
            "NumberOfEmptyReceives",
            "NumberOfMessagesDeleted",
            "NumberOfMessagesReceived",
            "NumberOfMessagesSent",
            "SentMessageSize",
        },
        ("QueueName",),
    ),
    "AWS/ApiGateway": ({"4xx", "5xx", "Count", "IntegrationLatency", "Latency", "DataProcessed"}, ("ApiId",)),
}
