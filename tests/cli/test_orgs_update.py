"""`tarif orgs update`: organization settings from the command line, validated like the API."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Tarif
from tests.conftest import Tenant
from tests.tenancy.test_documents import SVG


def test_update_sets_document_settings_and_a_logo(
    tarif: Tarif, tenant: Tenant, tmp_path: Path
) -> None:
    logo = tmp_path / "logo.svg"
    logo.write_bytes(SVG)
    done = tarif(
        "orgs",
        "update",
        "--org",
        tenant.id,
        "--set",
        "late_penalty_rate=10.5",
        "--set",
        "rcs=RCS Lyon 732 829 320",
        "--set",
        "auto_finalize_after_hours=24",
        "--logo",
        str(logo),
        "--json",
    )
    assert done.code == 0, done.err
    shown = json.loads(tarif("orgs", "show", "--org", tenant.id, "--json").out)
    assert (shown["late_penalty_rate"], shown["rcs"], shown["auto_finalize_after_hours"]) == (
        "10.5",
        "RCS Lyon 732 829 320",
        24,
    )
    assert shown["logo_sha256"]
    cleared = tarif("orgs", "update", "--org", tenant.id, "--set", "rcs=", "--json")
    assert json.loads(cleared.out)["rcs"] is None


def test_bad_settings_name_the_field(tarif: Tarif, tenant: Tenant) -> None:
    too_high = tarif("orgs", "update", "--org", tenant.id, "--set", "late_penalty_rate=150")
    assert too_high.code != 0 and "late_penalty_rate" in too_high.err
    unknown = tarif("orgs", "update", "--org", tenant.id, "--set", "colour=red")
    assert unknown.code != 0 and "colour: unknown field" in unknown.err
    malformed = tarif("orgs", "update", "--org", tenant.id, "--set", "rcs")
    assert malformed.code != 0 and "NAME=VALUE" in malformed.err
