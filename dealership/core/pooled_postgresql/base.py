"""PostgreSQL through a psycopg pool that recovers at once when its connections are killed.

The `web` process's engine when DB_POOL is on (see dealership.settings). Django's own pool checks a
connection before lending it, but after `pg_terminate_backend`, a database restart or a fail-over every
idle connection in the pool is dead, and psycopg's check loop finds them one by one, sleeping 1, 2, 4 s
between them: a request stalled for the whole pool timeout, and so did the next. Here a connection that
fails its check drains the pool (its siblings died with it), so the request after the kill waits for
one fresh connection instead.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool


def _check_or_drain(pool_holder: list[ConnectionPool]) -> Any:
    def check(conn: Any) -> None:
        try:
            ConnectionPool.check_connection(conn)
        except Exception:
            if pool_holder:
                pool_holder[0].drain()
            raise

    return check


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self) -> ConnectionPool | None:  # type: ignore[override]
        pool_options = self.settings_dict["OPTIONS"].get("pool")
        if self.alias == base.NO_DB_ALIAS or not pool_options:
            return None
        if self.alias not in self._connection_pools:
            if self.settings_dict.get("CONN_MAX_AGE", 0) != 0:
                raise ImproperlyConfigured("Pooling doesn't support persistent connections.")
            connect_kwargs = self.get_connection_params()
            connect_kwargs["autocommit"] = True  # as Django's own pool: it sets the real mode later
            holder: list[ConnectionPool] = []
            pool = ConnectionPool(
                kwargs=connect_kwargs,
                open=False,
                configure=self._configure_connection,
                check=_check_or_drain(holder),
                **({} if pool_options is True else pool_options),
            )
            holder.append(pool)
            self._connection_pools.setdefault(self.alias, pool)
        return self._connection_pools[self.alias]
