"""Sessions: one training run each (session.py), its commands (commands.py), its clients (fanout.py),
its clock (pacing.py), its stop rules (stopping.py) and the server's set of them (manager.py)."""

from .fanout import Subscriber
from .manager import SessionManager, SessionNotFound, TooManySessions
from .session import Session

__all__ = ["Session", "SessionManager", "SessionNotFound", "Subscriber", "TooManySessions"]
