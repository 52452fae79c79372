"""Call a user function the way the Python worker does.

Inputs are decoded and outputs encoded by azure-functions' own binding converters, so a function
sees exactly the objects it gets in Azure. Sync functions run on a thread pool, async ones on the
host's loop; a function that hangs occupies one pool thread and blocks nothing else.
"""

from __future__ import annotations

import asyncio
import inspect
import uuid
from collections.abc import Awaitable, Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import azure.functions as func
from azure.functions import meta

from .loader import FunctionInfo

__all__ = ["Invocation", "Invoker", "OutputSink", "converter"]

OutputSink = Callable[[dict[str, Any], meta.Datum], Awaitable[None]]


class _Out(func.Out):  # type: ignore[type-arg]
    def __init__(self) -> None:
        self._value: Any = None

    def set(self, val: Any) -> None:
        self._value = val

    def get(self) -> Any:
        return self._value


class _Context(func.Context):
    def __init__(self, name: str, directory: str) -> None:
        self._invocation_id = str(uuid.uuid4())
        self._name = name
        self._directory = directory

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def thread_local_storage(self) -> Any:
        return None

    @property
    def function_name(self) -> str:
        return self._name

    @property
    def function_directory(self) -> str:
        return self._directory

    @property
    def trace_context(self) -> Any:
        return None

    @property
    def retry_context(self) -> Any:
        return None


@dataclass
class Invocation:
    """What a call produced: the raw return value and its ``$return`` encoding, if any."""

    value: Any
    returned: meta.Datum | None = None
    outputs: dict[str, list[meta.Datum]] = field(default_factory=dict)


def converter(binding_type: str) -> Any:
    """azure-functions' converter for a binding type, as the worker looks it up."""
    conv = meta._ConverterMeta.get(binding_type)  # type: ignore[no-untyped-call]
    if conv is None:
        raise LookupError(f"no azure-functions converter for binding type {binding_type!r}")
    return conv


def _encode(binding: dict[str, Any], value: Any) -> meta.Datum:
    """Encode an output value; a value of the wrong type gets a message naming the binding."""
    btype = str(binding.get("type"))
    try:
        datum: meta.Datum = converter(btype).encode(value, expected_type=None)
    except NotImplementedError:  # the converters' way of saying "not a type I take"
        raise TypeError(
            f"output {binding.get('name')!r} ({btype}) cannot take a {type(value).__name__}"
        ) from None
    return datum


def _encoded(binding: dict[str, Any], value: Any, split: Collection[str]) -> list[meta.Datum]:
    """An output value encoded: a list, for a binding type in ``split``, item by item."""
    if value is None:
        return []
    items = value if isinstance(value, list) and str(binding.get("type")) in split else [value]
    return [_encode(binding, item) for item in items]


_Plan = tuple[tuple[str, bool, bool, bool, bool], ...]
_plans: dict[Callable[..., Any], tuple[list[dict[str, Any]], _Plan]] = {}


def _plan(fn: FunctionInfo) -> _Plan:
    """Each parameter of ``fn``: its name, whether it is the trigger, an output, the
    context, and whether it has a default. Inspecting the signature and finding each binding
    by name is slow, and neither changes."""
    cached = _plans.get(fn.func)
    if cached is not None and cached[0] is fn.bindings:
        return cached[1]
    trigger_name = fn.trigger.get("name")
    plan = []
    for param in inspect.signature(fn.func).parameters.values():
        binding = fn.binding(param.name)
        plan.append(
            (
                param.name,
                param.name == trigger_name,
                binding is not None and binding.get("direction") == "OUT",
                _is_context_param(param),
                param.default is not inspect.Parameter.empty,
            )
        )
    _plans[fn.func] = (fn.bindings, tuple(plan))
    return tuple(plan)


def _is_context_param(param: inspect.Parameter) -> bool:
    return param.name == "context" or param.annotation is func.Context


class Invoker:
    def __init__(self, app_dir: str, max_workers: int = 32) -> None:
        self._app_dir = app_dir
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="fn")
        self._sinks: dict[str, OutputSink] = {}

    def register_output(self, binding_type: str, sink: OutputSink) -> None:
        self._sinks[binding_type] = sink

    def output_types(self) -> list[str]:
        """The output binding types that have a sink (messages the host delivers)."""
        return sorted(self._sinks)

    async def deliver(self, binding: dict[str, Any], datum: meta.Datum) -> None:
        """Hand one encoded output value (from a worker process) to its binding's sink."""
        sink = self._sinks.get(str(binding.get("type")))
        if sink is not None:
            await sink(binding, datum)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def run_sync(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run blocking host work (not user code) off the loop on the same pool."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def invoke(
        self,
        fn: FunctionInfo,
        trigger: meta.Datum | None = None,
        trigger_metadata: dict[str, meta.Datum] | None = None,
        *,
        inputs: dict[str, Any] | None = None,
    ) -> Invocation:
        """Call ``fn``: ``trigger`` is decoded by the trigger's converter; ``inputs`` are
        ready-made Python values by parameter name (an HttpRequest, a durable client JSON)."""
        user = fn.func
        kwargs, outs = self._arguments(fn, trigger, trigger_metadata, inputs or {})
        if inspect.iscoroutinefunction(user):
            value = await user(**kwargs)
        else:
            loop = asyncio.get_running_loop()
            value = await loop.run_in_executor(self._pool, lambda: user(**kwargs))
        result = Invocation(value=value)
        for name, out in outs.items():
            binding = fn.binding(name) or {}
            result.outputs[name] = await self._deliver(binding, out.get())
        ret = fn.binding("$return")
        if ret is not None and value is not None:
            result.returned = _encode(ret, value)
            if str(ret["type"]) in self._sinks:
                result.outputs["$return"] = await self._deliver(ret, value)
        return result

    def invoke_here(
        self, fn: FunctionInfo, trigger: meta.Datum, split: Collection[str] = ()
    ) -> tuple[Any, list[tuple[dict[str, Any], meta.Datum]]]:
        """Call the sync function ``fn`` on this thread, as ``invoke`` would on the pool; its
        return value and its output values, encoded but not delivered (a worker process
        hands them to the host, whose sinks deliver them). A list for a binding type in
        ``split`` is one value per item, as ``invoke`` hands them to a sink."""
        kwargs, outs = self._arguments(fn, trigger, None, {})
        value = fn.func(**kwargs)
        outputs = []
        for name, out in outs.items():
            binding = fn.binding(name) or {}
            outputs += [(binding, datum) for datum in _encoded(binding, out.get(), split)]
        ret = fn.binding("$return")
        if ret is not None and value is not None and str(ret["type"]) in split:
            outputs += [(ret, datum) for datum in _encoded(ret, value, split)]
        return value, outputs

    def _arguments(
        self,
        fn: FunctionInfo,
        trigger: meta.Datum | None,
        trigger_metadata: dict[str, meta.Datum] | None,
        given: dict[str, Any],
    ) -> tuple[dict[str, Any], dict[str, _Out]]:
        """The keyword arguments of a call, and the ``func.Out`` objects among them."""
        kwargs: dict[str, Any] = {}
        outs: dict[str, _Out] = {}
        for name, is_trigger, is_out, is_context, has_default in _plan(fn):
            if name in given:
                kwargs[name] = given[name]
            elif is_trigger and trigger is not None:
                conv = converter(fn.trigger_type)
                kwargs[name] = conv.decode(trigger, trigger_metadata=trigger_metadata or {})
            elif is_out:
                outs[name] = kwargs[name] = _Out()
            elif is_context:
                kwargs[name] = _Context(fn.name, self._app_dir)
            elif not has_default:
                raise TypeError(f"function {fn.name}: no value for parameter {name!r}")
        return kwargs, outs

    async def _deliver(self, binding: dict[str, Any], value: Any) -> list[meta.Datum]:
        encoded = _encoded(binding, value, self._sinks)
        sink = self._sinks.get(str(binding.get("type")))
        if sink is not None:
            for datum in encoded:
                await sink(binding, datum)
        return encoded
