"""Fail loudly when the test suite's PostgreSQL or Redis is missing: never fall back to SQLite."""

import os
import sys

import environ
import psycopg
import redis


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    config = environ.Env.db_url_config(database_url) if database_url else {}
    if "postgresql" not in config.get("ENGINE", ""):
        print(f"DATABASE_URL must point at PostgreSQL, got {database_url!r}", file=sys.stderr)
        return 1
    try:
        psycopg.connect(
            host=config["HOST"] or "127.0.0.1",
            port=config["PORT"] or 5432,
            user=config["USER"],
            # The server is what must answer; Django creates test_<NAME> through the maintenance DB.
            dbname="postgres",
            password=config["PASSWORD"] or None,
            connect_timeout=3,
        ).close()
    except psycopg.Error as exc:
        print(f"PostgreSQL is unreachable at {config['HOST']}:{config['PORT']}: {exc}", file=sys.stderr)
        return 1
    try:
        redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=3).ping()
    except (KeyError, redis.RedisError) as exc:
        print(f"Redis is unreachable at REDIS_URL: {exc}", file=sys.stderr)
        return 1
    print("PostgreSQL and Redis are reachable.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
