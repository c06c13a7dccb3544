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

# Amazon Bedrock, on demand, USD per image (Stability AI, per output image). AWS's pricing page
# (https://aws.amazon.com/bedrock/pricing/) draws its tables in the browser, so its figures were read on 2026-12-08 as
# LiteLLM's Bedrock price table and an AWS Marketplace rate card (list-foundation-model-agreement-offers) give them.
USD_PER_IMAGE: dict[str, float] = {
    "stability.stable-image-core-v1:1": 0.04,
    "stability.sd3-5-large-v1:0": 0.08,
    "stability.stable-image-ultra-v1:1": 0.14,
    "stability.stable-outpaint-v1:0": 0.06,  # Stability AI Image Services: Outpaint
}

# The Bedrock user guide's request and response bodies, per model (read 2026-12-08). Fields: every request field
# the page lists (a field it does not list is a ValidationException: "Invalid field in request"); seed: its range.
RESPONSE_PAGE_EXAMPLE = {"seeds": [2130420379], "finish_reasons": [None], "images": ["..."]}  # every Stability page
FILTERED_PAGE_EXAMPLE = {"finish_reasons": ["Filter reason: prompt"]}  # "A response with a finish reason ..."
ASPECT_RATIOS = {"16:9", "1:1", "21:9", "2:3", "3:2", "4:5", "5:4", "9:16", "9:21"}
BEDROCK_PAGES: dict[str, dict] = {
    "stability.stable-image-core-v1:1": {
        "page": "https://docs.aws.amazon.com/bedrock/latest/userguide/"
        "model-parameters-diffusion-stable-image-core-text-image-request-response.html",
        "fields": {"prompt", "aspect_ratio", "output_format", "seed", "negative_prompt"},
        "required": {"prompt"},
        "seed": (0, 4_294_967_295),
        "output_formats": {"jpeg", "png"},
    },
    "stability.sd3-5-large-v1:0": {
        "page": "https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-diffusion-3-5-large.html",
        "fields": {"prompt", "aspect_ratio", "mode", "seed", "negative_prompt", "output_format", "image", "strength"},
        "required": {"prompt"},
        "seed": (0, 4_294_967_294),
        "output_formats": {"jpeg", "png", "webp"},
    },
    "stability.stable-image-ultra-v1:1": {
        "page": "https://docs.aws.amazon.com/bedrock/latest/userguide/"
        "model-parameters-diffusion-stable-ultra-text-image-request-response.html",
        "fields": {"prompt", "aspect_ratio", "mode", "seed", "negative_prompt", "output_format", "image", "strength"},
        "required": {"prompt"},
        "seed": (0, 4_294_967_295),
        "output_formats": {"jpeg", "png"},
    },
    # Stability AI Image Services, Outpaint: "Every side of the image must be at least 64 pixels. The total pixel
    # count cannot exceed 9,437,184 pixels. Image aspect ratio must be between 1:2.5 and 2.5:1."; left, right, up,
    # down 0 to 2000, at least one non-zero; creativity 0.1 to 1.0; called through the us. inference profile only.
    "stability.stable-outpaint-v1:0": {
        "page": "https://docs.aws.amazon.com/bedrock/latest/userguide/stable-image-services.html",
        "fields": {"image", "left", "right", "up", "down", "prompt", "style_preset", "seed", "output_format",
                   "creativity"},
        "required": {"image"},
        "seed": (0, 4_294_967_294),
        "output_formats": {"jpeg", "png", "webp"},
        "min_side": 64,
        "max_pixels": 9_437_184,
        "max_aspect": 2.5,
        "max_extension": 2000,
        "creativity": (0.1, 1.0),
        "profile": "us.stability.stable-outpaint-v1:0",
    },
}  # fmt: skip

# Inference profiles (Bedrock user guide, "Supported Regions and models for inference profiles"): the US Stable
# Image Outpaint profile is called from us-east-1, us-east-2 or us-west-2 and routes to all three.
OUTPAINT_PROFILE_DESTINATIONS = ("us-east-1", "us-east-2", "us-west-2")

# Model lifecycle (Bedrock user guide, "Model lifecycle (Legacy)", and the Titan Image Generator v2 model card):
# requests to a model fail on or soon after its EOL date.
NOVA_CANVAS = "amazon.nova-canvas-v1:0"
NOVA_CANVAS_LEGACY, NOVA_CANVAS_EOL = "2026-03-30", "2026-09-30"
TITAN_IMAGE_V2_EOL = "2026-06-30"

# What Bedrock answers when the model cannot be used (code, message as users have seen them verbatim: AWS re:Post
# "Troubleshoot InvokeModel API errors", aws-samples/amazon-bedrock-ai-karaoke#21, fourTheorem/podwhisperer#24,
# build-on-aws/python-fm-playground#18, aws-samples/amazon-bedrock-workshop#315).
MODEL_UNAVAILABLE_ANSWERS = [
    ("ResourceNotFoundException", "This model version has reached the end of its life. Please refer to the AWS "
     "documentation for more details.", 404),
    ("ResourceNotFoundException", "Access denied. This Model is marked by provider as Legacy and you have not been "
     "actively using the model in the last 30 days. Please upgrade to an active model on Amazon Bedrock", 404),
    ("AccessDeniedException", "You don't have access to the model with the specified model ID.", 403),
    ("ValidationException", "Invocation of model ID stability.stable-outpaint-v1:0 with on-demand throughput "
     "isn\u2019t supported. Retry your request with the ID or ARN of an inference profile that contains this model.",
     400),
    ("ValidationException", "The provided model identifier is invalid.", 400),
]  # fmt: skip

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

# Amazon Rekognition Developer Guide, "Detecting labels in an image" (labels-detect-labels-image.html): the page's
# Python sample EXAMPLE_INFERENCE_OUTPUT, a DetectLabels answer. The page writes the second label's Categories as a
# bare string; the API (and botocore's model) has {"Name": ...} objects, as the first label's.
REKOGNITION_DETECT_LABELS_EXAMPLE = {
    "Labels": [
        {
            "Name": "Mobile Phone",
            "Confidence": 97.530106,
            "Categories": [{"Name": "Technology and Computing"}],
            "Aliases": [{"Name": "Cell Phone"}],
            "Instances": [
                {
                    "BoundingBox": {"Height": 0.1549897, "Width": 0.07747964, "Top": 0.50858885, "Left": 0.00018205095},
                    "Confidence": 98.401276,
                }
            ],
        },
        {"Name": "Urban", "Confidence": 99.99982, "Categories": [{"Name": "Colors and Visual Composition"}]},
    ],
    "LabelModelVersion": "3.0",
}
# Amazon Rekognition prices (https://aws.amazon.com/rekognition/pricing/, read 2026-12-08): DetectLabels and
# DetectFaces are Group 2 APIs (the page's text); USD 0.001 per image in the first tier (its tables are drawn in the
# browser: the figure as a third-party transcription of 2026-10-07 gives it).
REKOGNITION_USD_PER_IMAGE_PER_CALL = 0.001

# Instagram stories (1080 x 1920): the app's own interface covers the top 250 px and the bottom 340 px; Meta's
# guidance for Stories keeps about 14 % at the top and 20 % at the bottom free of text and logos.
STORY_INTERFACE_ZONES = {"instagram-story": (250, 340)}
