"""A session's frames are paced on a schedule (publisher.Publisher.due / paced): a chunk that ends a
little early keeps its frame, and the rate stays within the budget."""

from nnplay.sessions import publisher
from nnplay.sessions.fanout import Fanout


def frames_taken(chunk_ends: list[float], interval_s: float, monkeypatch) -> list[float]:
    """The chunk ends (seconds) at which a frame was due and taken, on a fake clock."""
    clock = [0.0]
    monkeypatch.setattr(publisher.time, "perf_counter", lambda: clock[0])
    pub = publisher.Publisher(Fanout(), None, None)  # type: ignore[arg-type]  # pacing only
    taken = []
    for end in chunk_ends:
        clock[0] = end
        if pub.due():
            pub.paced(interval_s)
            taken.append(end)
    return taken


def test_chunks_ending_on_a_jittery_clock_keep_their_frames(monkeypatch):
    # ticks ~65 ms apart, some a little shorter than the 50-ms frame interval
    gaps = [0.065, 0.045, 0.070, 0.048, 0.066, 0.047, 0.064] * 10
    ends = [sum(gaps[: i + 1]) for i in range(len(gaps))]
    assert len(frames_taken(ends, 0.050, monkeypatch)) == len(ends)


def test_the_rate_stays_within_the_budget_with_at_most_one_frame_of_credit(monkeypatch):
    ends = [i * 0.010 for i in range(1, 1001)]  # chunks every 10 ms for 10 s, frames at most every 50 ms
    taken = frames_taken(ends, 0.050, monkeypatch)
    assert 199 <= len(taken) <= 201
    late = frames_taken([1.0, 1.3, 1.31, 1.32, 1.33, 1.34, 1.35, 1.36], 0.050, monkeypatch)
    assert late == [1.0, 1.3, 1.31, 1.35]  # after a long gap: one frame of credit, then the schedule again
