"""Names of the pipeline's own CloudWatch metrics (embedded metric format, via Powertools Metrics).

One namespace per stack: `CreativeAutomation/<environment>` (env POWERTOOLS_METRICS_NAMESPACE), with the
default `service` dimension Powertools adds (env POWERTOOLS_SERVICE_NAME: parser, generator, variants,
image-updater). The dashboard and alarms (components/monitoring.py) use these same constants.
"""

CAMPAIGNS_STARTED = "CampaignsStarted"
CAMPAIGNS_COMPLETED = "CampaignsCompleted"
CAMPAIGNS_PARTIAL = "CampaignsPartial"
CAMPAIGNS_FAILED = "CampaignsFailed"
CAMPAIGNS_CANCELLED = "CampaignsCancelled"
BRIEFS_REJECTED = "BriefsRejected"
PRODUCTS_GENERATED = "ProductsGenerated"  # an image-model call was paid for
PRODUCTS_REUSED = "ProductsReused"  # an existing asset or a cached generated image was used instead
EXISTING_ASSETS_MISSING = "ExistingAssetsMissing"  # a brief named an existing asset that is not there
MISSING_ASSETS_GENERATED = "MissingAssetsGenerated"  # ... and opted in to a generated image instead
VARIANTS_RENDERED = "VariantsRendered"
IMAGE_MODEL_COST_USD = "ImageModelCostUSD"
MODEL_THROTTLES = "ModelThrottles"
MODEL_UNAVAILABLE = "ModelUnavailable"  # Bedrock refused the configured model (ended, not enabled): alarmed at once
GENERATION_DURATION_MS = "GenerationDuration"
RENDER_DURATION_MS = "RenderDuration"
PRODUCTS_LOST = "ProductsLost"  # settled failed by the settler: Lambda dropped the event, or no progress
UPDATER_UPDATED = "ImagePushUpdated"
UPDATER_SKIPPED = "ImagePushSkipped"
UPDATER_FAILED = "ImagePushFailed"
JOB_DEFINITION_REVISIONS = "JobDefinitionRevisionsRegistered"  # the Batch part of UPDATER_UPDATED

# Campaign status reached when the last product settles -> metric counting it.
CAMPAIGN_SETTLED = {
    "complete": CAMPAIGNS_COMPLETED,
    "partial": CAMPAIGNS_PARTIAL,
    "failed": CAMPAIGNS_FAILED,
    "cancelled": CAMPAIGNS_CANCELLED,
}
