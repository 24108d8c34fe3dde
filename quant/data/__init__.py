"""Market data: the canonical bar frame, providers (bundled, synthetic, files, yfinance, Alpaca), validation."""
