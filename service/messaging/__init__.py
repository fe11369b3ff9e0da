"""AMQP: connection, topology, publisher, consumer and the one place that settles a delivery."""
