"""Local stand-ins for every provider API, strict like the real ones. Used by tests, the demo and compose."""
