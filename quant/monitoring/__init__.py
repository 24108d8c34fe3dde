"""Monitoring without I/O of its own: metrics, structured logging, alert channels, health and
daily-summary models, domain events and their in-process bus, secret redaction."""
