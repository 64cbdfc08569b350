"""Use cases of contracts, amendments and templates: `fn(ctx, ..., *, options)`, never committing.

One import for the API, the CLI, the pages and the billing run; the work is done in the
`service_*` modules (see `tarif/contracts/README.md` for the list).
"""

from __future__ import annotations

from tarif.contracts.service_amendments import (
    AmendmentView,
    amendment_history,
    amendment_view,
    cancel_amendment,
    create_amendment,
    get_amendment,
    list_amendments,
    schedule_amendment,
)
from tarif.contracts.service_contracts import (
    ContractView,
    VersionView,
    add_line,
    contract_lines,
    contract_transitions,
    contract_versions,
    create_contract,
    delete_draft,
    find_contract,
    get_contract,
    line_charge,
    list_contracts,
    remove_line,
    show_contract,
    update_contract,
    update_line,
)
from tarif.contracts.service_due import DueSummary, apply_due
from tarif.contracts.service_lifecycle import (
    activate,
    last_invoiced_date,
    record_first_payment,
    record_signature,
    resume,
    submit,
    suspend,
    terminate,
    transition,
)
from tarif.contracts.service_store import today
from tarif.contracts.service_templates import (
    TemplateView,
    create_template,
    get_template,
    instantiate_template,
    list_templates,
    template_version,
    template_versions,
    update_template,
)

__all__ = [
    "AmendmentView",
    "ContractView",
    "DueSummary",
    "TemplateView",
    "VersionView",
    "activate",
    "add_line",
    "amendment_history",
    "amendment_view",
    "apply_due",
    "cancel_amendment",
    "contract_lines",
    "contract_transitions",
    "contract_versions",
    "create_amendment",
    "create_contract",
    "create_template",
    "delete_draft",
    "find_contract",
    "get_amendment",
    "get_contract",
    "get_template",
    "instantiate_template",
    "last_invoiced_date",
    "line_charge",
    "list_amendments",
    "list_contracts",
    "list_templates",
    "record_first_payment",
    "record_signature",
    "remove_line",
    "resume",
    "schedule_amendment",
    "show_contract",
    "submit",
    "suspend",
    "template_version",
    "template_versions",
    "terminate",
    "today",
    "transition",
    "update_contract",
    "update_line",
    "update_template",
]
