"""Order management and broker adapters.

Order values, the OMS state machine, the exactly-once outbox, the execution gate, simulated and
Alpaca brokers, TWAP/VWAP slicing.
"""
