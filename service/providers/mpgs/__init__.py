"""Mastercard Gateway (MPGS) sessions: ``POST``/``PUT``/``GET …/merchant/{merchantId}/session`` with HTTP Basic auth."""
