"""The bar frame's field names and the daily timeframe, without pandas: what a plain reader shares with the
frame (``quant.data.schema``) and the stored rows."""

from __future__ import annotations

BAR_COLUMNS: tuple[str, ...] = ("symbol", "ts", "open", "high", "low", "close", "volume")
PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close")
DAILY = "1d"
