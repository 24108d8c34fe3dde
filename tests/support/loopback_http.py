"""A throw-away HTTP server on 127.0.0.1 for the fakes of outside services (Slack API, webhooks, the
package index, model servers): tests never reach the network, but the code under test still makes real HTTP
calls. The server itself is the one the model cassettes replay from (``evals.model_cassettes.serving``)."""

from __future__ import annotations

from evals.model_cassettes import serving

__all__ = ["serving"]
