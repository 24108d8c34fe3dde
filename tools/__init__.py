"""LangChain tools with typed pydantic arguments and compact typed results: thin wrappers over
quant/ and memory/, no logic of their own.
"""
