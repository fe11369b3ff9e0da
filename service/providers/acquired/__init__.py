"""Acquired.com payment sessions: ``POST /v1/login`` for a Bearer token, then ``POST``/``PUT /v1/payment-sessions``."""
