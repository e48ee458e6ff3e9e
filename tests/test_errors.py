"""One error vocabulary: every domain error is one of five kinds, and each shell maps the kind once —
the CLI to an exit code and one stderr line, the sidecar to a JSON reply with the kind's status."""

from __future__ import annotations

import pytest
import typer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route
from starlette.testclient import TestClient
from typer.testing import CliRunner

from adops import errors
from adops.cli_common import new_app
from adops.sidecar.errors import ERROR_HANDLERS

KINDS = [
    (errors.InputError("--limit must be at least 1"), 2, 400, "input"),
    (errors.ConfigError("accounts[0].id: missing"), 2, 500, "config"),
    (errors.NotFound("no budget plan 9"), 2, 404, "not_found"),
    (errors.Conflict("a sync is already running"), 1, 409, "conflict"),
    (errors.ExternalError("meta act_1: rate limited after 6 attempts in 41 s"), 1, 502, "external"),
]


def _domain_classes() -> list[tuple[type[Exception], type[errors.AdopsError]]]:
    from adops.connectors import errors as connector_errors
    from adops.experiments.cli import AbInputError
    from adops.experiments.rollout import RolloutError
    from adops.experiments.store import ExperimentError
    from adops.forecast.inputs import InputError as ForecastInputError
    from adops.ingest.sync import SyncBusy
    from adops.optimize.allocator import InfeasibleBudget
    from adops.optimize.history import InputError as HistoryInputError
    from adops.optimize.plans import PlanError, PlanNotFound
    from adops.warehouse import ReadOnlyError, SchemaError

    return [
        (errors.ConfigError, errors.ConfigError),
        (ForecastInputError, errors.InputError),
        (HistoryInputError, errors.InputError),
        (AbInputError, errors.InputError),
        (ExperimentError, errors.InputError),
        (PlanError, errors.InputError),
        (PlanNotFound, errors.NotFound),
        (InfeasibleBudget, errors.InputError),
        (SchemaError, errors.InputError),
        (ReadOnlyError, errors.InputError),
        (RolloutError, errors.Conflict),
        (SyncBusy, errors.Conflict),
        (connector_errors.ConnectorError, errors.ExternalError),
        (connector_errors.RateLimited, errors.ExternalError),
    ]


def test_every_domain_error_is_one_of_the_kinds() -> None:
    for cls, kind in _domain_classes():
        assert issubclass(cls, kind), cls
        assert not issubclass(cls, ValueError), f"{cls.__name__} still signals with ValueError"


def test_one_input_error_class() -> None:
    from adops import config
    from adops.forecast.inputs import InputError as A
    from adops.optimize.history import InputError as B

    assert A is B is errors.InputError and config.ConfigError is errors.ConfigError


def test_connector_errors_keep_their_kind() -> None:
    from adops.connectors.errors import AuthError, RateLimited

    assert RateLimited("x").kind == "rate_limit" and AuthError("x").kind == "auth"
    assert RateLimited.http_status == 502 and RateLimited.exit_code == 1


@pytest.mark.parametrize(("exc", "exit_code", "status", "kind"), KINDS, ids=[k[3] for k in KINDS])
def test_the_cli_maps_each_kind_once(exc: errors.AdopsError, exit_code: int, status: int, kind: str) -> None:
    app = new_app("test")

    @app.command()
    def boom() -> None:
        raise exc

    @app.command()
    def other() -> None:  # two commands, so that `boom` is a sub-command as in adops
        typer.echo("ok")

    result = CliRunner().invoke(app, ["boom"])
    assert result.exit_code == exit_code
    assert result.stderr == f"error: {exc}\n" and result.stdout == ""
    assert "Traceback" not in result.output


def test_a_multi_line_message_is_one_line() -> None:
    app = new_app("test")

    @app.command()
    def boom() -> None:
        raise errors.InputError("first\nsecond\n")

    @app.command()
    def other() -> None:
        pass

    result = CliRunner().invoke(app, ["boom"])
    assert result.exit_code == 2 and result.stderr == "error: first second\n"


def test_a_bug_is_not_dressed_as_a_domain_error() -> None:
    app = new_app("test")

    @app.command()
    def boom() -> None:
        raise RuntimeError("a bug")

    @app.command()
    def other() -> None:
        pass

    result = CliRunner().invoke(app, ["boom"])
    assert isinstance(result.exception, RuntimeError)


@pytest.mark.parametrize(("exc", "exit_code", "status", "kind"), KINDS, ids=[k[3] for k in KINDS])
def test_the_sidecar_maps_each_kind_to_json(
    exc: errors.AdopsError, exit_code: int, status: int, kind: str
) -> None:
    async def boom(request: Request) -> None:
        raise exc

    app = Starlette(routes=[Route("/boom", boom)], exception_handlers=ERROR_HANDLERS)
    response = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["kind"] == kind
    if status == 500:  # the sidecar's own settings: the detail goes to its log, not to the client
        assert "accounts[0]" not in body["error"] and "settings" in body["error"]
    else:
        assert body["error"] == str(exc)


def test_the_sidecar_app_installs_the_handler() -> None:
    from adops.sidecar.app import create_app

    assert create_app().exception_handlers[errors.AdopsError] is ERROR_HANDLERS[errors.AdopsError]
