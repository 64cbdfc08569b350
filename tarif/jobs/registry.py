"""Job handlers by kind: `@handler("webhook.deliver")` registers `fn(ctx, job)`.

A handler does its work in the ctx's transaction; the worker commits it together with the job
marked done, so a job's database effects are applied once. Raising `RetryLater` keeps what the
handler wrote (an attempt log, say) and schedules a retry; any other exception rolls its writes
back before the retry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tarif.context import Ctx
    from tarif.jobs.models import Job

Handler = Callable[["Ctx", "Job"], None]
HANDLERS: dict[str, Handler] = {}


class RetryLater(Exception):
    """The attempt failed but its writes are kept; the job is retried with backoff."""


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


def load_handlers() -> None:
    """Imports the modules that register handlers (a worker needs them all)."""
    import tarif.invoicing.finalize_jobs
    import tarif.invoicing.mailing
    import tarif.invoicing.render_jobs
    import tarif.invoicing.run_jobs
    import tarif.triggers.billing
    import tarif.webhooks.delivery  # noqa: F401
