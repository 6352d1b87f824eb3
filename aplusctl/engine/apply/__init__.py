"""Execute a Plan against the SP-API: crash-safe, idempotent, never a duplicate document.

One module per job:
- executor.py: the per-document step sequence (upload → validate → create/update → relate →
  submit/suspend), documents concurrently;
- create.py: create safety — a fresh read before creating, adoption by name, and a create whose
  answer was lost is never repeated in the same run;
- commit.py: aplus.lock saved (atomically, group-committed) after every step;
- events.py: the events a view renders and the outcomes a summary counts;
- interrupt.py: Ctrl-C / SIGTERM wind-down; tripwire.py: the crash tests' kill hook.

Why it is safe to kill at any moment:
- aplus.lock is saved after every step that changes something live, so the next run knows every
  upload and every key this one got;
- a create happens only after a fresh searchContentDocuments read shows no document of that
  name (one is adopted otherwise); a create lost by a crash or a dropped answer is found by
  the next run's fresh read, by name;
- every other step (update, relate, submit, suspend) is idempotent on the server.
See docs/apply.md.
"""

from aplusctl.engine.apply.events import ApplyEvent, ApplyResult, DocOutcome, EventSink, Message
from aplusctl.engine.apply.executor import Executor
from aplusctl.engine.apply.interrupt import install_interrupt
from aplusctl.engine.apply.tripwire import armed

__all__ = ["ApplyEvent", "ApplyResult", "DocOutcome", "EventSink", "Executor", "Message", "armed",
           "install_interrupt"]
