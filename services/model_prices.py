"""What a model call costs: the price table from settings, per model, in US dollars per million tokens.

A model named in ``Settings.model_prices`` costs its price (entries there extend the built-in list
prices); a model without an entry served on this machine (a loopback base URL: llama.cpp, Ollama,
vLLM on localhost) costs ``Settings.local_model_price`` ($0 unless configured); any other model
without an entry costs 0 and is marked unpriced, so the ledger shows that its dollars are unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from ipaddress import ip_address
from urllib.parse import urlparse

from config import ModelPrice, Settings, default_model_prices

MILLION = Decimal(1_000_000)


def is_local_server(base_url: str | None) -> bool:
    """True when ``base_url`` names this machine (localhost or a loopback address)."""
    if not base_url:
        return False
    host = (urlparse(base_url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Cost:
    usd: Decimal
    priced: bool


@dataclass(frozen=True)
class PriceTable:
    """USD per 1M tokens by model; ``fallback`` prices any other model (None: unpriced, cost 0)."""

    prices: Mapping[str, ModelPrice]
    fallback: ModelPrice | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> PriceTable:
        local = is_local_server(settings.openai_base_url)
        return cls({**default_model_prices(), **settings.model_prices},
                   settings.local_model_price if local else None)

    def cost(self, model: str, input_tokens: int, output_tokens: int) -> Cost:
        price = self.prices.get(model) or self.fallback
        if price is None:
            return Cost(Decimal(0), False)
        usd = (Decimal(input_tokens) * price.input_usd_per_1m + Decimal(output_tokens) * price.output_usd_per_1m)
        return Cost(usd / MILLION, True)
