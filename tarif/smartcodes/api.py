"""REST routes of SmartCodes: `/v1/smartcodes…` (create, list, versions, dry run, check)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request, status

from tarif.api.deps import CtxDep, PageDep
from tarif.api.schemas import ListResponse
from tarif.smartcodes import service
from tarif.smartcodes.policy import Kind
from tarif.smartcodes.schemas import (
    CheckRead,
    DryRunCreate,
    DryRunRead,
    ProblemRead,
    SmartCodeCreate,
    SmartCodeRead,
    SmartCodeWithVersion,
    SourceCheck,
    VersionCreate,
    VersionRead,
)
from tarif.tenancy.rules import Permission

router = APIRouter(tags=["smartcodes"])


@router.get("/smartcodes", response_model=ListResponse[SmartCodeRead])
def list_smartcodes(
    ctx: CtxDep,
    page: PageDep,
    kind: Annotated[Kind | None, Query(description="valuation or pricing only")] = None,
) -> ListResponse[SmartCodeRead]:
    """SmartCodes in creation order; `q` searches the code and the name."""
    result = service.list_smartcodes(ctx, page, kind=kind.value if kind else None)
    return ListResponse(
        data=[SmartCodeRead.of(s) for s in result.items],
        has_more=result.has_more,
        next_cursor=result.next_cursor,
    )


@router.post(
    "/smartcodes", response_model=SmartCodeWithVersion, status_code=status.HTTP_201_CREATED
)
def create_smartcode(body: SmartCodeCreate, ctx: CtxDep) -> SmartCodeWithVersion:
    """A SmartCode with its first version. A source that does not compile or that the sandbox
    refuses is a 422 naming `source`, each problem with its `line` and `column`."""
    smartcode, version = service.create_smartcode(ctx, body.model_dump())
    ctx.session.commit()
    return SmartCodeWithVersion(
        **SmartCodeRead.of(smartcode).model_dump(), version=VersionRead.of(version)
    )


@router.post("/smartcodes/check", response_model=CheckRead)
def check_source(body: SourceCheck, ctx: CtxDep) -> CheckRead:
    """Compiles a source without saving it: every problem with its line and column."""
    ctx.require(Permission.READ)
    problems = service.check(body.kind, body.source)
    return CheckRead(
        valid=not problems,
        problems=[ProblemRead(line=p.line, column=p.column, message=p.message) for p in problems],
    )


@router.get("/smartcodes/{smartcode_id}", response_model=SmartCodeRead)
def get_smartcode(smartcode_id: str, ctx: CtxDep) -> SmartCodeRead:
    return SmartCodeRead.of(service.get_smartcode(ctx, smartcode_id))


@router.get("/smartcodes/{smartcode_id}/versions", response_model=list[VersionRead])
def list_versions(smartcode_id: str, ctx: CtxDep) -> list[VersionRead]:
    """Every version, the newest first."""
    return [VersionRead.of(v) for v in service.versions_of(ctx, smartcode_id)]


@router.post(
    "/smartcodes/{smartcode_id}/versions",
    response_model=VersionRead,
    status_code=status.HTTP_201_CREATED,
)
def add_version(smartcode_id: str, body: VersionCreate, ctx: CtxDep) -> VersionRead:
    """Saves the source as version N+1 (earlier versions never change). The same source as
    the latest version is a 409: nothing new to record."""
    version = service.add_version(ctx, smartcode_id, body.source)
    ctx.session.commit()
    return VersionRead.of(version)


@router.get("/smartcodes/{smartcode_id}/versions/{number}", response_model=VersionRead)
def get_version(smartcode_id: str, number: int, ctx: CtxDep) -> VersionRead:
    return VersionRead.of(service.get_version(ctx, smartcode_id, number))


@router.post("/smartcodes/{smartcode_id}/test", response_model=DryRunRead)
def dry_run(smartcode_id: str, body: DryRunCreate, ctx: CtxDep) -> DryRunRead:
    """Dry run: a version (default the latest) on sample `events` (valuation) or a sample
    `usage` and `contract` (pricing). Nothing is billed nor stored. A failing event gives its
    `error` (message, line); a limit or a pricing failure gives the run's `error`."""
    run = service.dry_run(ctx, smartcode_id, body.plain(), number=body.version)
    return DryRunRead.of(run)


def install_problems(app: FastAPI) -> None:
    """A refused source's problem also gives each error's `line` and `column`."""
    from tarif.api.problems import problem_response

    @app.exception_handler(service.SourceInvalid)
    async def _source_invalid(request: Request, exc: service.SourceInvalid) -> Any:
        if not request.url.path.startswith("/v1"):
            from tarif.web.templating import render

            context = {"title": exc.title, "detail": exc.detail}
            return render(request, "error.html", context, exc.status)
        errors = [
            {
                "pointer": f"/{e.field}",
                "field": e.field,
                "detail": e.message,
                "line": getattr(e, "line", None),
                "column": getattr(e, "column", None),
            }
            for e in exc.errors
        ]
        return problem_response(
            exc.status, exc.type_slug, exc.title, exc.detail, errors, request.url.path
        )
