"""Sending a delivery: the `webhook.deliver` job handler and one attempt.

2xx is delivered. Anything else (an error code, a timeout, a refused connection) is logged on
the delivery and the job is retried with the jobs' backoff (`RetryLater` keeps the log); after
the job's last attempt the delivery is `failed` and the job dead, until someone replays it.
"""

from __future__ import annotations

from tarif.context import Ctx
from tarif.jobs.models import Job
from tarif.jobs.registry import RetryLater, handler
from tarif.webhooks import rules, sender
from tarif.webhooks.models import WebhookDelivery, WebhookEndpoint


def attempt(ctx: Ctx, delivery: WebhookDelivery, endpoint: WebhookEndpoint, *, final: bool) -> bool:
    """One signed POST; logs it on the delivery. True when delivered."""
    now = ctx.clock.now()
    outcome = sender.post(
        endpoint.url, delivery.body, endpoint.secret, int(now.timestamp()), delivery.event_type
    )
    entry = {
        "at": now.isoformat(),
        "status_code": outcome.status_code,
        "duration_ms": outcome.duration_ms,
        "error": outcome.error,
        "response": outcome.response,
    }
    # A new list: the JSON column is only written when the attribute is assigned.
    delivery.attempts = [*delivery.attempts, entry][-rules.MAX_ATTEMPT_LOG :]
    delivery.attempt_count += 1
    delivery.last_status_code = outcome.status_code
    delivery.updated_at = now
    ok = rules.delivered(outcome.status_code)
    if ok:
        delivery.status = "delivered"
        delivery.delivered_at = now
    else:
        delivery.status = "failed" if final else "retrying"
    return ok


@handler("webhook.deliver")
def deliver(ctx: Ctx, job: Job) -> None:
    delivery = ctx.session.get(WebhookDelivery, job.payload["delivery_id"])
    if delivery is None or delivery.organization_id != job.organization_id:
        return  # the endpoint was deleted with its deliveries: nothing left to send
    endpoint = ctx.session.get_one(WebhookEndpoint, delivery.endpoint_id)
    if not endpoint.enabled and not job.payload.get("replay"):
        delivery.status = "failed"
        delivery.attempts = [
            *delivery.attempts,
            {
                "at": ctx.clock.now().isoformat(),
                "status_code": None,
                "duration_ms": 0,
                "error": "endpoint disabled",
                "response": "",
            },
        ]
        return
    if not attempt(ctx, delivery, endpoint, final=job.attempts >= job.max_attempts):
        code = delivery.last_status_code
        last = delivery.attempts[-1]
        raise RetryLater(f"HTTP {code}" if code is not None else str(last["error"]))
