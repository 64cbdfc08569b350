"""Capability command groups, in one list so `main.py` stays small."""

from __future__ import annotations

import typer


def register_capabilities(app: typer.Typer) -> None:
    from tarif.audit.cli import app as audit_cli
    from tarif.catalog.cli import pricelists_app, products_app
    from tarif.contracts.cli import amendments_app, contracts_app, templates_app
    from tarif.coupons.cli import app as coupons_cli
    from tarif.customers.cli import app as customers_cli
    from tarif.invoicing.cli import bill_app, invoices_app
    from tarif.invoicing.cli_balance import balance_app
    from tarif.invoicing.cli_credit_notes import credit_notes_app
    from tarif.invoicing.cli_credit_notes import void as void_invoice
    from tarif.invoicing.cli_issued import credit_note_pdf, invoice_pdf
    from tarif.jobs.cli import jobs_app, worker
    from tarif.smartcodes.cli import app as smartcodes_cli
    from tarif.statements.cli import app as statements_cli
    from tarif.tenancy.cli import keys_app, orgs_app, users_app
    from tarif.triggers.alerts_cli import app as alerts_cli
    from tarif.triggers.cli import app as triggers_cli
    from tarif.usage.event_cli import app as events_cli
    from tarif.usage.metric_cli import app as metrics_cli
    from tarif.webhooks.cli import webhooks_app

    app.add_typer(orgs_app, name="orgs", help="Organizations (tenants)")
    app.add_typer(users_app, name="users", help="Back-office users")
    app.add_typer(keys_app, name="keys", help="API keys")
    app.add_typer(audit_cli, name="audit", help="The audit log")
    app.add_typer(customers_cli, name="customers", help="Customers and their contacts")
    app.add_typer(products_app, name="products", help="Products of the catalog")
    app.add_typer(pricelists_app, name="pricelists", help="Pricelists and their prices")
    app.add_typer(contracts_app, name="contracts", help="Contracts, their lines and lifecycle")
    app.add_typer(amendments_app, name="amendments", help="Contract amendments and due work")
    app.add_typer(templates_app, name="templates", help="Contract templates")
    app.add_typer(bill_app, name="bill", help="Billing runs: draft invoices of what is due")
    invoices_app.command("pdf")(invoice_pdf)
    invoices_app.command("void")(void_invoice)
    app.add_typer(invoices_app, name="invoices", help="Invoices: finalize, explain, payments")
    app.add_typer(balance_app, name="balance", help="Customer credit balances: goodwill, refunds")
    credit_notes_app.command("pdf")(credit_note_pdf)
    app.add_typer(credit_notes_app, name="credit-notes", help="Credit notes correcting invoices")
    app.add_typer(coupons_cli, name="coupons", help="Coupons: invoice discounts by code")
    app.add_typer(smartcodes_cli, name="smartcodes", help="SmartCodes: sandboxed Python macros")
    app.add_typer(metrics_cli, name="metrics", help="Metrics: billable quantities of usage")
    app.add_typer(events_cli, name="events", help="Usage events: send, list, bulk import")
    app.command("worker")(worker)
    app.add_typer(jobs_app, name="jobs", help="Background jobs and dead letters")
    app.add_typer(webhooks_app, name="webhooks", help="Webhook endpoints and deliveries")
    app.add_typer(statements_cli, name="statements", help="Consumption statements: usage detail")
    app.add_typer(triggers_cli, name="triggers", help="Usage triggers: bill usage early")
    app.add_typer(alerts_cli, name="alerts", help="Usage alerts: quotas and spending limits")
