"""Every capability's API and web routers, in one place so the app factory stays small."""

from __future__ import annotations

from fastapi import FastAPI


def include_routers(app: FastAPI) -> None:
    from tarif.audit.api import router as audit_api
    from tarif.tenancy.api import router as tenancy_api
    from tarif.web.routes import router as web_shell

    for router in (tenancy_api, audit_api):
        app.include_router(router, prefix="/v1")
    app.include_router(web_shell)
