"""Every capability's API and web routers, in one place so the app factory stays small."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from tarif.api.query_check import refuse_unknown_query


def include_routers(app: FastAPI) -> None:
    from tarif.audit.api import router as audit_api
    from tarif.catalog.api import router as catalog_api
    from tarif.catalog.web import router as catalog_web
    from tarif.contracts.api import router as contracts_api
    from tarif.contracts.web import router as contracts_web
    from tarif.coupons.api import router as coupons_api
    from tarif.coupons.web import router as coupons_web
    from tarif.customers.api import router as customers_api
    from tarif.customers.web import router as customers_web
    from tarif.invoicing.api import router as invoicing_api
    from tarif.invoicing.api_balance import router as balance_api
    from tarif.invoicing.api_credit_notes import router as credit_notes_api
    from tarif.invoicing.api_drafts import router as invoice_drafts_api
    from tarif.invoicing.api_issued import router as issued_api
    from tarif.invoicing.api_usage import router as contract_usage_api
    from tarif.invoicing.web import router as invoicing_web
    from tarif.invoicing.web_balance import router as balance_web
    from tarif.invoicing.web_credit_notes import router as credit_notes_web
    from tarif.invoicing.web_drafts import router as invoice_drafts_web
    from tarif.invoicing.web_issued import router as issued_web
    from tarif.invoicing.web_upcoming import router as upcoming_web
    from tarif.invoicing.web_usage import router as contract_usage_web
    from tarif.jobs.api import router as jobs_api
    from tarif.jobs.web import router as jobs_web
    from tarif.smartcodes.api import install_problems as install_smartcode_problems
    from tarif.smartcodes.api import router as smartcodes_api
    from tarif.smartcodes.web import router as smartcodes_web
    from tarif.statements.api import router as statements_api
    from tarif.statements.web import router as statements_web
    from tarif.tenancy.api import router as tenancy_api
    from tarif.tenancy.web import router as tenancy_web
    from tarif.triggers.alerts_api import router as alerts_api
    from tarif.triggers.alerts_web import router as alerts_web
    from tarif.triggers.api import router as triggers_api
    from tarif.triggers.items_api import router as usage_items_api
    from tarif.triggers.web import router as triggers_web
    from tarif.usage.event_api import router as events_api
    from tarif.usage.event_web import router as events_web
    from tarif.usage.metric_api import router as metrics_api
    from tarif.usage.metric_web import router as metrics_web
    from tarif.web.routes import router as web_shell
    from tarif.webhooks.api import router as webhooks_api
    from tarif.webhooks.web import router as webhooks_web

    for router in (
        tenancy_api,
        audit_api,
        customers_api,
        catalog_api,
        contracts_api,
        invoicing_api,
        invoice_drafts_api,
        credit_notes_api,
        issued_api,
        coupons_api,
        balance_api,
        events_api,
        metrics_api,
        smartcodes_api,
        contract_usage_api,
        jobs_api,
        webhooks_api,
        statements_api,
        triggers_api,
        usage_items_api,
        alerts_api,
    ):
        app.include_router(router, prefix="/v1", dependencies=[Depends(refuse_unknown_query)])
    app.include_router(web_shell)
    app.include_router(tenancy_web)
    app.include_router(customers_web)
    app.include_router(catalog_web)
    app.include_router(contracts_web)
    app.include_router(invoicing_web)
    app.include_router(invoice_drafts_web)
    app.include_router(balance_web)
    app.include_router(credit_notes_web)
    app.include_router(issued_web)
    app.include_router(upcoming_web)
    app.include_router(coupons_web)
    app.include_router(smartcodes_web)
    install_smartcode_problems(app)
    app.include_router(metrics_web)
    app.include_router(events_web)
    app.include_router(contract_usage_web)
    app.include_router(jobs_web)
    app.include_router(webhooks_web)
    app.include_router(statements_web)
    app.include_router(triggers_web)
    app.include_router(alerts_web)
