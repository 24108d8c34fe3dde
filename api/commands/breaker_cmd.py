"""``quantpilot risk reset-breaker``: the way out of a paper account's breaker halt — ask for the reset of its
breaker baseline (trader), have another approver approve it, then apply it."""

from __future__ import annotations

import typer

from api.commands.risk_cmd import ACCOUNT_HELP, execution_service

app = typer.Typer(help="Lift a paper account's breaker halt: request a reset of its baseline, then apply the "
                  "approved request.", no_args_is_help=True)


@app.command("request")
def request(reason: str = typer.Option(..., "--reason", help="why the account may trade again (the approver reads "
                                       "it)"),
            account: str | None = typer.Option(None, "--account", help=ACCOUNT_HELP),
            as_json: bool = typer.Option(False, "--json")) -> None:
    """Ask for the approval that resetting the account's breaker baseline needs; prints its id."""
    from api.cli_auth import cli_actor
    from api.output import console, print_json

    service = execution_service(account)
    approval_id = service.request_breaker_reset(cli_actor(), reason=reason)
    if as_json:
        print_json({"approval_id": approval_id, "account_id": service.account})
        return
    console.print(f"approval requested: {approval_id} (reset the breaker baseline of account {service.account}). "
                  f"Another approver decides it with `quantpilot approvals approve {approval_id}`; then "
                  f"`quantpilot risk reset-breaker apply --approval {approval_id}`.", highlight=False)


@app.command("apply")
def apply(approval_id: str = typer.Option(..., "--approval", help="the approved breaker_reset request"),
          as_json: bool = typer.Option(False, "--json")) -> None:
    """Reset the breaker baseline of the account the approved request names: its equity now becomes the
    high-water mark, and the account trades again."""
    from api.cli_auth import cli_actor
    from api.output import console, print_json

    state = execution_service().reset_breaker(cli_actor(), approval_id)
    account = state.account_id or "every account (the kill switch)"
    if as_json:
        print_json({"account_id": state.account_id, "trading_state": state.status.value, "reason": state.reason,
                    "release": state.release})
    elif state.status.value == "active":
        console.print(f"breaker baseline of account {account} reset: trading active", highlight=False)
    else:
        console.print(f"breaker baseline reset, but {account} is still {state.status.value}: {state.reason}. "
                      f"To lift it: {state.release}", highlight=False, markup=False)
