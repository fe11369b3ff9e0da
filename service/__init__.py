"""payment-sessions: turns session commands from RabbitMQ into provider sessions and publishes events."""
