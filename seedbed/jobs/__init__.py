"""Running generation.

Job state, requests, context, senders, the engine, batches, pricing, the runner.
"""
