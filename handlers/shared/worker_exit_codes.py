"""Exit codes of the Batch worker (handlers/batch_worker/) that no retry can fix. The job definition's retry strategy
ends the job on them (`components/batch.py`); any other failure is retried up to `batch.retryAttempts` times. Shared:
the settler names them in the words it records on a failed re-render."""

USAGE = 2  # no campaign id given
MISSING_CAMPAIGN = 3  # the campaign has no manifest under output/<campaign-id>/

NOT_RETRYABLE = (USAGE, MISSING_CAMPAIGN)
