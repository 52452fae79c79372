"""``CheckedBlueprint``: a ``df.Blueprint`` whose activities check their input first, and
count their failures (metric ``activities.failed``).

Kept apart from :mod:`.activity_registry` so the validator does not import the Durable SDK.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any

import azure.durable_functions as df  # type: ignore[import-untyped, unused-ignore]  # untyped SDK

from . import _telemetry
from .activity_registry import default_registry

__all__ = ["CheckedBlueprint"]


def _checked(function: Callable[..., Any], name: str, input_name: str) -> Callable[..., Any]:
    """``function`` with its input checked against the registry before it runs."""

    signature = inspect.signature(function)

    def check(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
        # The worker passes bindings by name; test benches may pass the input positionally.
        try:
            value = signature.bind_partial(*args, **kwargs).arguments.get(input_name)
        except TypeError:
            value = kwargs.get(input_name)
        default_registry().check_input(name, value)

    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def checked_async(*args: Any, **kwargs: Any) -> Any:
            try:
                check(args, kwargs)
                return await function(*args, **kwargs)
            except Exception as exc:
                _telemetry.activity_failed(name, type(exc).__name__)
                raise

        return checked_async

    @functools.wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        try:
            check(args, kwargs)
            return function(*args, **kwargs)
        except Exception as exc:  # counted by activity and error name, then as it was
            _telemetry.activity_failed(name, type(exc).__name__)
            raise

    return checked


class CheckedBlueprint(df.Blueprint):  # type: ignore[misc]  # untyped SDK base class
    """A ``df.Blueprint`` whose activities check their input against the registry.

    Use it like ``df.Blueprint``; ``@blueprint.activity_trigger(input_name="x")`` registers the
    function as usual (same name, same signature) with the check in front.
    """

    def activity_trigger(
        self, input_name: str, activity: str | None = None
    ) -> Callable[[Callable[..., Any]], Any]:
        register = super().activity_trigger(input_name=input_name, activity=activity)

        def decorator(function: Callable[..., Any]) -> Any:
            return register(_checked(function, activity or function.__name__, input_name))

        return decorator
