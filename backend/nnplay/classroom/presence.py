"""Who is in the room: a member is present while a page of theirs holds the room socket (it proved their
member token), away otherwise. Owner: RoomAudience (audience.py), on the event loop."""

from __future__ import annotations

from ..sessions import Subscriber


class Presence:
    """Room code -> each member page's room socket -> the member's id."""

    def __init__(self) -> None:
        self._pages: dict[str, dict[Subscriber, str]] = {}

    def attend(self, code: str, sub: Subscriber, member_id: str) -> bool:
        """`sub` is a page of `member_id`; returns whether the member was away until now."""
        arrived = member_id not in self.present(code)
        self._pages.setdefault(code, {})[sub] = member_id
        return arrived

    def leave(self, code: str, sub: Subscriber) -> bool:
        """`sub` closed; returns whether that made its member away (it was their last page)."""
        pages = self._pages.get(code, {})
        member_id = pages.pop(sub, None)
        if not pages:
            self._pages.pop(code, None)
        return member_id is not None and member_id not in self.present(code)

    def present(self, code: str) -> set[str]:
        return set(self._pages.get(code, {}).values())

    def forget(self, code: str) -> None:
        """The room closed: none of its members is present any more."""
        self._pages.pop(code, None)
