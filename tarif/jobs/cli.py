"""`tarif worker` (run jobs) and `tarif jobs list|show|retry`."""

from __future__ import annotations

import signal
import threading

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn

from tarif.cli.common import (
    JsonOption,
    OrgOption,
    UpdatedSinceOption,
    cli_ctx,
    factory,
    one_line_errors,
    parse_instant,
    print_json,
    print_record,
    print_table,
    say,
    say_next_page,
    to_plain,
)
from tarif.db.repository import PageRequest
from tarif.jobs import service
from tarif.jobs.schemas import JobRead

jobs_app = typer.Typer(no_args_is_help=True)

COLUMNS = ["id", "kind", "status", "attempts", "max_attempts", "run_after", "last_error"]


@one_line_errors
def worker(
    once: bool = typer.Option(False, "--once", help="Run the due jobs, then stop"),
    concurrency: int = typer.Option(1, "--concurrency", min=1, max=64, help="Worker threads"),
    org: str = typer.Option(None, "--org", help="Only this organization's jobs"),
    kind: list[str] = typer.Option(None, "--kind", help="Only jobs of this kind (repeatable)"),
) -> None:
    """Run background jobs (webhooks…). Several `tarif worker` processes may run at once on
    PostgreSQL: each job is claimed by one of them (FOR UPDATE SKIP LOCKED)."""
    from tarif.config import mail_settings
    from tarif.jobs.worker import Worker, run_forever, worker_name

    mail_settings()  # a bad TARIF_SMTP_URL stops the start
    session_factory = factory()
    kinds = tuple(kind) if kind else None
    workers = [
        Worker(session_factory, name=worker_name(i), organization_id=org, kinds=kinds)
        for i in range(concurrency)
    ]
    if once:
        counts = [0] * concurrency
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), transient=True) as bar:
            task = bar.add_task("running jobs", total=None)

            def drain(index: int) -> None:
                while workers[index].run_one():
                    counts[index] += 1
                    bar.update(task, description=f"{sum(counts)} jobs run")

            threads = [threading.Thread(target=drain, args=(i,)) for i in range(concurrency)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        say(f"{sum(counts)} jobs run")
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threads = [threading.Thread(target=run_forever, args=(w, stop), name=w.name) for w in workers]
    say(f"worker running ({concurrency} thread{'s' if concurrency > 1 else ''}); Ctrl-C stops")
    for thread in threads:
        thread.start()
    try:
        while any(t.is_alive() for t in threads):
            stop.wait(0.5)
            if stop.is_set():
                break
    except KeyboardInterrupt:
        stop.set()
    stop.set()
    for thread in threads:
        thread.join()


@jobs_app.command("list")
@one_line_errors
def list_jobs(
    status: str = typer.Option(None, "--status", help="queued, running, done or dead"),
    kind: str = typer.Option(None, "--kind"),
    q: str = typer.Option(None, "--q", "-q", help="Search the kind"),
    updated_since: str = UpdatedSinceOption,
    limit: int = typer.Option(50, min=1, max=100, help="Page size"),
    starting_after: str = typer.Option(None, "--starting-after", help="Continue after this id"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Jobs in creation order (`--status dead`: the dead letters)."""
    since = parse_instant(updated_since, "--updated-since")
    with cli_ctx(org) as ctx:
        page = service.list_jobs(
            ctx,
            PageRequest(limit=limit, starting_after=starting_after, updated_since=since, q=q),
            status=status,
            kind=kind,
        )
        rows = [to_plain(JobRead.of(j)) for j in page.items]
    if as_json:
        print_json(rows)
        return
    print_table(rows, COLUMNS)
    say_next_page(page)


@jobs_app.command("show")
@one_line_errors
def show(job_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    with cli_ctx(org) as ctx:
        data = to_plain(JobRead.of(service.get_job(ctx, job_id)))
    if as_json:
        print_json(data)
    else:
        print_record(data)


@jobs_app.command("retry")
@one_line_errors
def retry(job_id: str, org: str = OrgOption) -> None:
    """Queue a dead job again with a fresh set of attempts."""
    with cli_ctx(org) as ctx:
        job = service.retry_job(ctx, job_id)
        ctx.session.commit()
    say(f"job {job.id} queued again")
