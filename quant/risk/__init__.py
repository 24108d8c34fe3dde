"""Risk math and risk values: VaR/CVaR, exposure, stress tests, position sizing, risk reports, risk decisions."""
