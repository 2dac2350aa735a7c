"""The agents: each does one job, keeps no state, and takes and returns Pydantic models.

Agents build prompts and read typed replies through a ModelClient; they know nothing of
tracing, retries or concurrency, which the client and the pipeline handle.
"""
