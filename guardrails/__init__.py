"""Policy that holds whatever the model says: authorization of tool calls, the risk policy,
injection screening, output validation, redaction. Tested without any model.
"""
