"""The LangGraph StateGraph: typed state, supervisor routing, approval nodes (interrupt()), the
promotion ladder draft -> backtested -> paper -> live, and the side-effect nodes that run after
an approval.
"""
