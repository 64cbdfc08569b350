"""Every capability's API and web routers, in one place so the app factory stays small."""

from __future__ import annotations

from fastapi import FastAPI


def include_routers(app: FastAPI) -> None:
    from tarif.audit.api import router as audit_api
    from tarif.catalog.api import router as catalog_api
    from tarif.catalog.web import router as catalog_web
    from tarif.contracts.api import router as contracts_api
    from tarif.contracts.web import router as contracts_web
    from tarif.customers.api import router as customers_api
    from tarif.customers.web import router as customers_web
    from tarif.invoicing.api import router as invoicing_api
    from tarif.invoicing.web import router as invoicing_web
    from tarif.tenancy.api import router as tenancy_api
    from tarif.web.routes import router as web_shell

    for router in (
        tenancy_api,
        audit_api,
        customers_api,
        catalog_api,
        contracts_api,
        invoicing_api,
    ):
        app.include_router(router, prefix="/v1")
    app.include_router(web_shell)
    app.include_router(customers_web)
    app.include_router(catalog_web)
    app.include_router(contracts_web)
    app.include_router(invoicing_web)
