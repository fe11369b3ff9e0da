"""Worldline Connect: client sessions (``worldline``) and Apple Pay merchant sessions (``worldline-applepay``).

Both sign server API calls with v1HMAC (``signing``) and share the ``[accounts.<name>.worldline]`` table.
"""
