"""Monitoring without I/O of its own: metrics, structured logging, alerts and their deduplication,
health and daily-summary models, domain events and their in-process bus. Alert channels are in
``services.alerts``, redaction in ``guardrails.redaction``."""
