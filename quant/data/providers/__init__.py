"""Market-data providers: each returns a canonical bar frame (``quant.data.schema``).

Offline by default (``bundled``, ``synthetic``, ``csv``/``parquet``); ``yfinance`` and ``alpaca``
need the network (and keys for Alpaca). ``FallbackChain`` tries several in order.
"""

from quant.data.providers.base import DataProvider, ProviderResult, check_date_range
from quant.data.providers.chain import FallbackChain
from quant.data.providers.registry import PROVIDER_NAMES, get_provider

__all__ = [
    "PROVIDER_NAMES",
    "DataProvider",
    "FallbackChain",
    "ProviderResult",
    "check_date_range",
    "get_provider",
]
