"""Development defaults that both the services' settings and the ``jifen`` command
need. Kept free of heavy imports so that ``jifen token`` answers at once.

Clearly marked development-only values: a service started with environment other
than development or test refuses to run while one of them is in use (see
:mod:`shared.settings`).
"""

DEV_JWT_SECRET = "dev-only-insecure-jwt-secret-change-me"
DEV_DATABASE_HOST = "127.0.0.1:55432"
DEFAULT_PORTS = {"training": 8001, "points": 8002, "rewards": 8003}


def dev_database_url(service: str, host: str = DEV_DATABASE_HOST) -> str:
    return f"postgresql+asyncpg://postgres@{host}/jifen_{service}"
