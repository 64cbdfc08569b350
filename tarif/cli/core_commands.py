"""Commands that run the service itself: database upgrade, serving, demo data."""

from __future__ import annotations

import typer

from tarif.cli.common import console, one_line_errors, say, settings

db_app = typer.Typer(help="Database schema", no_args_is_help=True)
demo_app = typer.Typer(help="Demo organization", no_args_is_help=True)


@db_app.command("upgrade")
@one_line_errors
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply the Alembic migrations to the configured database."""
    from tarif.db.migrate import upgrade

    url = settings().database_url
    upgrade(url, revision)
    say(f"database at revision {revision}: {_redact(url)}")


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@demo_app.command("load")
@one_line_errors
def demo_load() -> None:
    """Create (or refresh) the demo organization; running it again changes nothing."""
    from tarif.demo.loader import load_demo

    result = load_demo(settings())
    console.print(f"demo organization: {result.organization_id}")
    console.print(f"demo login: {result.login_email} / {result.login_password}")
    console.print(f"demo API key: {result.api_key}")


def serve(
    host: str = typer.Option(None, help="Bind address (TARIF_HOST, default 127.0.0.1)"),
    port: int = typer.Option(None, help="Port (TARIF_PORT, default 8000)"),
) -> None:
    """Serve the API and the back office."""
    import uvicorn

    from tarif.api.app import create_app

    cfg = settings()
    host = host or cfg.host
    port = port or cfg.port
    console.print(f"Tarif on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(create_app(cfg), host=host, port=port, log_level="info")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.add_typer(demo_app, name="demo")
    app.command("serve")(serve)
