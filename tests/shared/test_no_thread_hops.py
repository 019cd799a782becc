"""Every route and dependency of the three services is a coroutine: FastAPI runs a
plain function in its thread pool, a thread hop (and on a busy machine a new thread)
per request, and a background task that is a plain function likewise."""

import importlib

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import _is_async_gen_callable, _is_coroutine_callable

SERVICES = ("training_api", "points_api", "rewards_api")


def plain_functions(dependant: Dependant) -> list[str]:
    found = []
    for sub in dependant.dependencies:
        call = sub.call
        if call is not None and not (_is_coroutine_callable(call)
                                     or _is_async_gen_callable(call)):
            found.append(f"{getattr(call, '__module__', '')}.{getattr(call, '__qualname__', call)}")
        found += plain_functions(sub)
    return found


def routes(router) -> list:
    """The routes of a router and of the routers included in it."""
    found = []
    for route in router.routes:
        included = getattr(route, "original_router", None)  # an included router
        found += routes(included) if included is not None else [route]
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_routes_and_dependencies_run_on_the_event_loop(service):
    app = importlib.import_module(f"services.{service}.main").app
    plain = set()
    found = routes(app.router)
    assert len(found) > 20
    for route in found:
        dependant = getattr(route, "dependant", None)
        if dependant is None:
            continue
        if not _is_coroutine_callable(dependant.call):
            plain.add(f"route {route.path}")
        plain.update(plain_functions(dependant))
    assert plain == set()
