"""Watchers of a run are paced together by the fan-out: the newest frame, at most watch_fps() a second."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

from nnplay.sessions.fanout import MIN_WATCH_FPS, WATCH_FPS, WATCH_SENDS_PER_S, Fanout, Subscriber


def test_watchers_get_the_newest_frame_at_the_watch_pace_and_owners_get_every_frame():
    async def scenario() -> tuple[list[bytes], list[bytes | None], float]:
        fanout = Fanout()
        owner, watchers = Subscriber(), [Subscriber(read_only=True) for _ in range(3)]
        for sub in (owner, *watchers):
            fanout.add(sub)
        owner_got: list[bytes] = []
        fanout.publish(b"f0")
        first = [w.frame for w in watchers]  # sent at once: nothing was sent to them before
        for w in watchers:
            w.frame = None
        for i in range(1, 6):  # a burst within one watch interval
            fanout.publish(f"f{i}".encode())
            owner_got.append(owner.frame or b"")
        assert all(w.frame is None for w in watchers)  # held back: the interval has not passed
        await asyncio.sleep(1.5 / WATCH_FPS)
        fanout.close()
        return owner_got, first + [w.frame for w in watchers], fanout.watch_fps()

    with ThreadPoolExecutor(1) as pool:  # a loop of its own: Playwright may leave one running in this thread
        owner_got, watcher_frames, fps = pool.submit(asyncio.run, scenario()).result()
    assert owner_got == [b"f1", b"f2", b"f3", b"f4", b"f5"]
    assert watcher_frames == [b"f0"] * 3 + [b"f5"] * 3  # the newest only, the same bytes for all
    assert fps == WATCH_FPS


def test_a_large_class_is_paced_down_but_never_below_the_floor():
    fanout = Fanout()
    for _ in range(300):
        fanout.add(Subscriber(read_only=True))
    assert fanout.watch_fps() == max(MIN_WATCH_FPS, WATCH_SENDS_PER_S / 300)
    for _ in range(2000):
        fanout.add(Subscriber(read_only=True))
    assert fanout.watch_fps() == MIN_WATCH_FPS
    owner = Subscriber()
    fanout.add(owner)
    fanout.add(owner)  # adding twice counts once
    fanout.discard(owner)
    fanout.discard(owner)
    assert len(fanout) == 2300
