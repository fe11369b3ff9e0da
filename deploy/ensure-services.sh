#!/usr/bin/env bash
# Make sure the broker (and Redis) the tests and the demo need are up, starting them if they are not.
# Order of preference: already running > local packages (rabbitmq-server, redis-server) > docker compose.
set -euo pipefail
cd "$(dirname "$0")/.."

amqp_host=127.0.0.1; amqp_port=5672
redis_host=127.0.0.1; redis_port=6379

listening() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_for() {  # name host port seconds
  for _ in $(seq 1 "$4"); do listening "$2" "$3" && return 0; sleep 1; done
  echo "ensure-services: $1 did not come up on $2:$3" >&2; return 1
}

have_docker() { command -v docker >/dev/null && docker info >/dev/null 2>&1; }

if ! listening $amqp_host $amqp_port; then
  if command -v rabbitmq-server >/dev/null; then
    echo "ensure-services: starting RabbitMQ (rabbitmq-server -detached)"
    rabbitmq-server -detached
  elif have_docker; then
    echo "ensure-services: starting RabbitMQ with docker compose"
    docker compose up -d rabbitmq
  else
    echo "ensure-services: RabbitMQ is not running on $amqp_host:$amqp_port and neither rabbitmq-server" \
         "nor Docker is available. Install one, or point AMQP_URL at a broker." >&2
    exit 1
  fi
  wait_for RabbitMQ $amqp_host $amqp_port 90
fi
if command -v rabbitmqctl >/dev/null; then
  timeout 120 rabbitmqctl await_startup >/dev/null 2>&1 || true
fi

if ! listening $redis_host $redis_port; then
  if command -v redis-server >/dev/null; then
    echo "ensure-services: starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port $redis_port --save "" --appendonly no
  elif have_docker; then
    docker compose up -d redis
  else
    echo "ensure-services: Redis is not running and cannot be started here (needed from the idempotency work on)" >&2
  fi
  wait_for Redis $redis_host $redis_port 30 || true
fi
echo "ensure-services: RabbitMQ on $amqp_host:$amqp_port$(listening $redis_host $redis_port && echo ", Redis on $redis_host:$redis_port")"
