"""The retry waits: random up to a limit that doubles each retry, never over the longest wait."""

from handlers.shared.backoff import Backoff


def test_waits_stay_under_a_limit_that_doubles_each_retry_and_stops_at_the_longest_wait():
    backoff = Backoff(attempts=6, base_delay=0.5, max_delay=3.0)
    limits = [0.5, 1.0, 2.0, 3.0, 3.0]  # 0.5 doubled per retry, 4.0 capped to 3.0
    for retry, limit in enumerate(limits):
        waits = [backoff.delay(retry) for _ in range(300)]
        assert all(0 <= wait <= limit for wait in waits)
        assert max(waits) > limit * 0.8, "the waits spread up to the limit (full jitter), not bunched low"
        assert len(set(waits)) > 250, "the waits differ, so colliding writers spread out"
