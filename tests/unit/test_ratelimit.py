from nnplay.api.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_allowed_then_one_event_per_refill_interval():
    clock = Clock()
    limiter = RateLimiter(rate_per_s=2.0, burst=3, clock=clock)
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.retry_after_s("a") == 0.5
    clock.now += 0.49
    assert not limiter.allow("a")
    clock.now += 0.02
    assert limiter.allow("a") and not limiter.allow("a")
    clock.now += 60  # refills to the burst, never beyond it
    assert sum(limiter.allow("a") for _ in range(10)) == 3


def test_each_client_has_its_own_bucket():
    clock = Clock()
    limiter = RateLimiter(rate_per_s=1.0, burst=1, clock=clock)
    assert limiter.allow("a") and not limiter.allow("a")
    assert limiter.allow("b")


def test_forgotten_clients_are_only_those_whose_bucket_is_full(monkeypatch):
    import nnplay.api.ratelimit as ratelimit

    monkeypatch.setattr(ratelimit, "MAX_TRACKED_CLIENTS", 3)
    clock = Clock()
    limiter = RateLimiter(rate_per_s=1.0, burst=2, clock=clock)
    for key in ("a", "b", "c"):
        limiter.allow(key)
    clock.now += 0.5  # nobody is full yet: nothing can be forgotten
    limiter.allow("d")
    assert len(limiter) == 4
    clock.now += 10  # all refilled: the next newcomer clears them out
    limiter.allow("e")
    assert len(limiter) == 1
