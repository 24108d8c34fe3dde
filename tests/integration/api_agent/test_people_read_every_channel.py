"""People read every channel: the smoke suite's requests (and a few follow-ups) through the terminal chat, the web
chat, the OpenAI-compatible endpoint, the Slack approval cards and ``approvals show`` never show a
``key=value`` dump, a Python dict repr, ``None`` or a float with more than 4 decimals."""

from __future__ import annotations

import html
import re

import pytest

from evals.scenario import load_suite
from memory.approvals import ApprovalStore
from memory.users import Role
from services.market_data import MarketDataService
from tests.integration.api_agent.conftest import auth, parse_sse
from tests.integration.cli_runner import run_cli
from tests.integration.web.conftest import log_in
from tests.integration.web.wiring import offline_web_chat
from tests.support.people import SYSTEM

DUMPS = {
    "key=value dump": re.compile(r"\b[a-z_][\w.\[\]]*=(?![=\s])\S"),
    "Python dict repr": re.compile(r"\{'"),
    "None": re.compile(r"\bNone\b"),
    "float with more than 4 decimals": re.compile(r"\d\.\d{5,}"),
}
# a conversation with follow-ups: "it" is the backtest before it
FOLLOW_UPS = ("backtest an SMA crossover on AAPL and MSFT since 2015", "run a monte carlo on it",
              "promote it to backtested", "what's my exposure?")
ALONE = ("what can you do?", "show me RSI(14) and MACD for AAPL", "compare runs 1 and 2", "stress test -30%",
         "show positions", "health")
TAGS = re.compile(r"<[^>]+>")


def smoke_requests() -> list[str]:
    return list(dict.fromkeys(turn.text for scenario in load_suite("smoke") for turn in scenario.turns))


def dumps_in(channel: str, text: str) -> list[str]:
    return [f"{channel}: {name}: {match.group(0)!r} in …{text[max(match.start() - 60, 0):match.end() + 40]}…"
            for name, pattern in DUMPS.items() for match in pattern.finditer(text)]


def _cli(texts: list[str]) -> str:
    out = [run_cli("chat", "--once", text).stdout for text in texts]  # as the signed-in trader
    thread = f"thr_cli_{abs(hash(FOLLOW_UPS)) % 10**8}"
    out += [run_cli("chat", "--once", text, "--thread", thread).stdout for text in FOLLOW_UPS]
    return "\n".join(out)


def _openai(client, key: str, texts: list[str]) -> str:
    def ask(text: str, headers: dict[str, str]) -> str:
        answer = client.post("/v1/chat/completions", headers=headers,
                             json={"model": "quantpilot", "messages": [{"role": "user", "content": text}]})
        assert answer.status_code == 200, answer.text
        return answer.json()["choices"][0]["message"]["content"]

    out = [ask(text, auth(key)) for text in texts]
    thread = {**auth(key), "X-Quantpilot-Thread": "thr_oai_follow_ups"}
    return "\n".join([*out, *(ask(text, thread) for text in FOLLOW_UPS)])


def _web(client, key: str, texts: list[str]) -> str:
    csrf = log_in(client, key)

    def say(text: str, thread: str = "") -> tuple[str, str]:
        answer = client.post("/web/chat/stream", data={"csrf_token": csrf, "message": text, "thread_id": thread})
        frames = parse_sse(answer.text)
        shown = [data.get("html") or data.get("message") or "" for kind, data in frames if kind != "thread"]
        return html.unescape(TAGS.sub(" ", "\n".join(shown))), dict(frames)["thread"]["thread_id"]

    out = [say(text)[0] for text in texts]
    first, thread = say(FOLLOW_UPS[0])
    out += [first, *(say(text, thread)[0] for text in FOLLOW_UPS[1:])]
    out.append(html.unescape(TAGS.sub(" ", client.get("/web/approvals").text)))
    return "\n".join(out)


def _slack(database) -> str:
    from api.slack.blocks import card_for, card_text

    texts: list[str] = []

    def walk(value) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "text" and isinstance(item, str):
                    texts.append(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    records = ApprovalStore(database).list(limit=100)
    assert records, "the requests above ask for approvals: the Slack cards must have something to show"
    for record in records:
        texts.append(card_text(record))
        walk(card_for(record))
    return "\n".join(texts)


@pytest.mark.slow
def test_no_channel_shows_a_key_value_dump_a_repr_none_or_a_long_float(client, keys, database, app, monkeypatch):
    MarketDataService(database, actor=SYSTEM).load("bundled", ["AAPL", "MSFT"])
    monkeypatch.setenv("QUANTPILOT_API_KEY", keys[Role.TRADER])
    app.state.web_chat = offline_web_chat(database)
    texts = [*smoke_requests(), *ALONE]
    outputs = {"cli": _cli(texts), "openai": _openai(client, keys[Role.TRADER], texts),
               "web": _web(client, keys[Role.TRADER], texts)}
    outputs["slack"] = _slack(database)
    outputs["cli"] += "\n".join(run_cli("approvals", "show", record.id).stdout
                                for record in ApprovalStore(database).list(limit=100))

    found = [dump for channel, text in outputs.items() for dump in dumps_in(channel, text)]

    assert found == [], "\n".join(found[:20])
    assert "Backtest run" in outputs["cli"] and "Backtest run" in outputs["openai"] and "Backtest run" in outputs["web"]
    assert "Approval needed" in outputs["cli"] and "Approval needed" in outputs["openai"]
    assert "Asked by" in outputs["web"] and "quantpilot approvals approve apr_" in outputs["slack"]
