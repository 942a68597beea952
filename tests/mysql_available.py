"""Exit 0 when the MariaDB/MySQL server of the given URL answers, else 1 (used by make)."""

import sys

import sqlalchemy as sa


def main(url: str) -> int:
    """Try one connection with a short timeout."""
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return 1
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
