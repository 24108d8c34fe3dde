"""Every way in: the quantpilot CLI (Typer + Rich), the FastAPI app (REST + streaming), the web
page, the Slack app and the MCP server. Each is a thin caller of one service layer. Nothing
imports api.
"""
