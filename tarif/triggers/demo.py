"""The demo's usage trigger and usage alert, on the seed case's usage line.

The marketplace's contract MARKET-001 (customer DEMO-MARCHE, `tarif.invoicing.usage_demo`) bills
its turnover fee (2 % of the turnover + 0.25 per transaction: 1,300.00 for January 2026) at the
period's end. The demo sets on that line (`turnover-fee`):

- a threshold trigger: an invoice when the month's fee so far reaches 1,000.00, then every
  1,000.00 more (the rest at the period's end);
- a spending-limit alert of 1,500.00 at 80 % and 100 % (notified at 1,200.00 and 1,500.00).

Both are set through the services, after the demo's invoices: the month-by-month replay bills
at each period's end and reads no trigger, and the January events were stored before either
existed, so the invoices and their figures are those of the demo without them. The alert is
checked at once on today's period, as any new alert is. Idempotent: the trigger is set while the
line has none, the alert added while the contract has none; nothing happens without the seed
contract (before January 2026 is over, by the demo's clock).
"""

from __future__ import annotations

from typing import Any

from tarif.billing.triggers import TriggerKind
from tarif.context import Ctx
from tarif.contracts import service as contracts
from tarif.errors import NotFound
from tarif.invoicing.usage_demo import SEED_REFERENCE
from tarif.triggers import alerts_service, service

DEMO_LINE = "turnover-fee"
DEMO_TRIGGER: dict[str, Any] = {
    "kind": "threshold",
    "thresholds": ["1000.00"],
    "every": "1000.00",
    "measure": "amount",
}
DEMO_ALERT: dict[str, Any] = {
    "metric_code": "turnover",
    "line_key": DEMO_LINE,
    "measure": "amount",
    "limit": "1500.00",
    "levels": [80, 100],
}


def load_demo_usage_triggers(ctx: Ctx) -> None:
    try:
        contract = contracts.find_contract(ctx, SEED_REFERENCE)
    except NotFound:
        return
    if service.trigger_of(ctx, contract.id, DEMO_LINE).kind is TriggerKind.PERIOD_END:
        service.set_trigger(ctx, contract.id, DEMO_LINE, DEMO_TRIGGER)
    if not alerts_service.list_alerts(ctx, contract.id):
        alerts_service.create_alert(ctx, contract.id, DEMO_ALERT)
