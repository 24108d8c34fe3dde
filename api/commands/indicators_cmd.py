"""``quantpilot indicators``: the catalogue, and one symbol's indicator values point in time."""

from __future__ import annotations

import typer

indicators_app = typer.Typer(help="Technical indicators (pandas-ta catalogue + fast core).", no_args_is_help=True)
JSON = typer.Option(False, "--json", help="Print JSON (every digit).")


@indicators_app.command("list")
def indicators_list(category: str | None = typer.Option(None, help="Only this category."),
                    as_json: bool = JSON) -> None:
    """Every indicator by name with category and parameters."""
    from api.output import print_json, print_table
    from quant.display import params_text
    from quant.indicators.registry import list_all_indicators

    specs = list_all_indicators(category)
    if as_json:
        print_json([{"name": s.name, "category": s.category, "source": s.source,
                     "params": {p.name: p.default for p in s.params}} for s in specs])
        return
    print_table(f"{len(specs)} indicators", ["name", "category", "source", "parameters"],
                [(s.name, s.category, s.source, params_text({p.name: p.default for p in s.params})) for s in specs])


@indicators_app.command("show")
def indicators_show(
    symbol: str = typer.Argument(..., help="A stored symbol, e.g. AAPL."),
    indicators: list[str] = typer.Argument(..., metavar="NAME[:PARAM=VALUE,...]...",
                                           help="e.g. rsi:length=14 sma:length=50 macd (see `indicators list`)."),
    as_of: str | None = typer.Option(None, "--as-of", metavar="YYYY-MM-DD", help="Only bars known at this date."),
    last: int = typer.Option(10, "--last", min=1, max=10_000, help="Rows to show, newest last."),
    as_json: bool = JSON,
) -> None:
    """Indicator values of SYMBOL over its last bars, computed only from bars known at --as-of."""
    from api.cli_auth import cli_actor
    from api.output import print_json, print_table
    from memory.db import connect
    from quant.display import day, number, quantity
    from services.indicator_values import indicator_values, parse_indicator

    values = indicator_values(connect(), cli_actor(required=False), symbol, [parse_indicator(t) for t in indicators],
                              as_of=as_of, last=last)
    if as_json:
        records = values.astype(object).where(values.notna(), None)
        print_json({"symbol": symbol.upper(), "as_of": as_of,
                    "rows": [{"date": ts.date().isoformat(), **row} for ts, row in records.iterrows()]})
        return
    print_table(f"{symbol.upper()}" + (f" as of {as_of}" if as_of else ""), ["date", *map(str, values.columns)],
                [(day(ts), number(row[0], 2), *(quantity(v) for v in row[1:]))  # the close, then the indicators
                 for ts, row in zip(values.index, values.to_numpy(), strict=True)])
