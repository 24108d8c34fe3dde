"""The five agents (Data, Strategy, Risk, Execution, Monitoring) and the supervisor: each agent's
versioned system prompt, its tool set and its model binding; the chat-model providers (OpenAI-
compatible and the offline planner). Agents never compute finance themselves: they call tools.
"""
