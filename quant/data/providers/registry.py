"""Look providers up by name (the names a user or a config file may write)."""

from __future__ import annotations

from collections.abc import Callable

from errors import ConfigError
from quant.data.providers.base import DataProvider

PROVIDER_NAMES: tuple[str, ...] = ("bundled", "synthetic", "csv", "parquet", "yfinance", "alpaca")


def _factory(name: str) -> Callable[..., DataProvider]:
    # imported lazily: the network providers pull in heavy client libraries
    if name == "bundled":
        from quant.data.providers.bundled import BundledProvider

        return BundledProvider
    if name == "synthetic":
        from quant.data.providers.synthetic import SyntheticProvider

        return SyntheticProvider
    if name in ("csv", "parquet"):
        from quant.data.providers.files import FileProvider

        return lambda **kwargs: FileProvider(file_format=name, **kwargs)
    if name == "yfinance":
        from quant.data.providers.yfinance_provider import YFinanceProvider

        return YFinanceProvider
    from quant.data.providers.alpaca_provider import AlpacaProvider

    return AlpacaProvider


def get_provider(name: str, **kwargs) -> DataProvider:
    """A provider by name with its constructor ``kwargs``; ConfigError naming the known ones."""
    key = name.strip().lower()
    if key not in PROVIDER_NAMES:
        raise ConfigError(
            f"unknown data provider {name!r}; known: {', '.join(PROVIDER_NAMES)}",
            details={"provider": name, "known": list(PROVIDER_NAMES)},
        )
    try:
        return _factory(key)(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"bad arguments for data provider {key!r}: {exc}",
                          details={"provider": key, "arguments": sorted(kwargs)}) from exc
