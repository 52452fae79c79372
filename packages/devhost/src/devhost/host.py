"""The host: loads an app, runs its functions and serves HTTP, like ``func start``.

Start order follows the Functions host: settings first (exported to the environment, since
apps read them at import), Azurite when the app asks for development storage, then the app is
indexed, the durable engine and trigger listeners start, and the HTTP server opens.
Extensions (the messaging triggers) plug in through ``register_trigger``, ``register_output``,
``add_routes`` and ``add_busy_probe``.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import inspect
import logging
import os
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from aiohttp import web
from azure.functions import meta

from . import address
from .azurite import AZURITE_SETTING, Azurite, find_azurite
from .clock import CLOCK_FILE, Clock, RealClock, VirtualClock
from .config import HostConfig, load_config
from .durable.engine import DurableEngine
from .durable.episode_workers import EpisodeWorkers, WorkerSpec
from .durable.store import Store
from .invoker import Invocation, Invoker, OutputSink
from .loader import FunctionInfo, LoadedApp, load_app, unload_app
from .web.admin import admin_routes
from .web.durable_api import DurableApi
from .web.http_triggers import HttpTriggers
from .web.problems import problem_middleware

__all__ = ["Host", "Listener"]

log = logging.getLogger("devhost")

_DEV_STORAGE = "usedevelopmentstorage=true"
_HOSTNAME = "WEBSITE_HOSTNAME"
_DURABLE_TRIGGERS = {"orchestrationTrigger", "activityTrigger", "entityTrigger", "httpTrigger"}


class Listener(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


ListenerFactory = Callable[["Host", FunctionInfo], Listener]


class Host:
    def __init__(
        self,
        app_dir: str | Path,
        *,
        data_dir: str | Path | None = None,
        port: int = 7071,
        clock: str | Clock = "real",
        settings: dict[str, str] | None = None,
        manage_cwd: bool = True,
        worker_processes: int | None = None,
        app: LoadedApp | None = None,
    ) -> None:
        self.app_dir = Path(app_dir).resolve()
        if not self.app_dir.is_dir():
            raise ValueError(
                f"app dir {self.app_dir}: not a folder (expected one with function_app.py)"
            )
        self.data_dir = Path(data_dir).resolve() if data_dir else self.app_dir / ".devhost"
        self.port = port
        if isinstance(clock, Clock):
            self.clock: Clock = clock
        elif clock == "virtual":
            self.clock = VirtualClock()
        elif clock == "real":
            self.clock = RealClock()
        else:
            raise ValueError(f"clock: expected 'real' or 'virtual', got {clock!r}")
        self.config: HostConfig = load_config(self.app_dir, settings)
        self.settings = self.config.settings
        self.host_json = self.config.host_json
        self.manage_cwd = manage_cwd
        # None: FUNCTIONS_WORKER_PROCESS_COUNT worker processes, as the Functions host; 0: run
        # orchestrators and activities in this process (devhost.testing's default: fast to
        # start, and a debugger or a test sees the app's code in the process it runs in).
        self.worker_processes = worker_processes
        self.running = False
        self.base_url = f"http://127.0.0.1:{port}"
        self.functions: list[FunctionInfo] = []
        # An app another host of this process loaded and handed over (``detach_app``).
        self.app: LoadedApp | None = app
        self._keep_app = False
        self.engine: DurableEngine | None = None
        self.api: DurableApi | None = None
        self.http: HttpTriggers | None = None
        self.invoker = Invoker(str(self.app_dir))
        self._triggers: dict[str, ListenerFactory] = {}
        self._listeners: list[Listener] = []
        self._routes: list[web.RouteDef] = []
        self._probes: list[Callable[[], bool]] = []
        self._stop_hooks: list[Callable[[], Awaitable[None] | None]] = []
        self._episode_workers: EpisodeWorkers | None = None
        self._runner: web.AppRunner | None = None
        self._sock: socket.socket | None = None
        self._azurite: Azurite | None = None
        self._azurite_settings: list[str] = []
        self._saved_env: dict[str, str | None] = {}
        self._saved_cwd: str | None = None
        self._started = time.monotonic()

    # ------------------------------------------------------------------ extension points
    def register_trigger(self, binding_type: str, factory: ListenerFactory) -> None:
        self._triggers[binding_type] = factory

    def register_output(self, binding_type: str, sink: OutputSink) -> None:
        self.invoker.register_output(binding_type, sink)

    def add_routes(self, routes: list[web.RouteDef]) -> None:
        self._routes.extend(routes)

    def add_busy_probe(self, probe: Callable[[], bool]) -> None:
        self._probes.append(probe)

    def add_stop_hook(self, hook: Callable[[], Awaitable[None] | None]) -> None:
        """Called at stop, after the listeners stopped and before the engine does."""
        self._stop_hooks.append(hook)

    async def invoke(
        self,
        fn: FunctionInfo,
        trigger: meta.Datum | None = None,
        trigger_metadata: dict[str, meta.Datum] | None = None,
        inputs: dict[str, Any] | None = None,
    ) -> Invocation:
        """Call ``fn`` as the worker would: the trigger through its converter, durable client
        inputs with the extension's client JSON, ``inputs`` as given."""
        given = dict(inputs or {})
        if self.api is not None:
            for binding in fn.bindings:
                if binding.get("type") == "durableClient":
                    given.setdefault(str(binding["name"]), self.api.client_binding())
        return await self.invoker.invoke(fn, trigger, trigger_metadata, inputs=given)

    # ------------------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.clock.bind(loop)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.clock.keep_in(self.data_dir / CLOCK_FILE)
        # Bind first: the settings (WEBSITE_HOSTNAME), the client binding and the printed
        # URLs need the real port, and a port in use fails the start before anything runs.
        self._sock = self._bind()
        self.port = int(self._sock.getsockname()[1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._export_settings()
        if self.manage_cwd:
            self._saved_cwd = os.getcwd()
            os.chdir(self.app_dir)
        self._reset_sdk_http_session()
        if self.app is None:
            self.app = load_app(self.app_dir)
        self.functions = self.app.functions
        unknown = sorted({f.trigger_type for f in self.functions} - _DURABLE_TRIGGERS)
        self._install_extensions()
        missing = [t for t in unknown if t not in self._triggers]
        if missing:
            log.warning(
                "devhost has no listener for trigger type(s) %s; those functions will not run",
                ", ".join(missing),
            )
        store = Store(self.data_dir / "durable.sqlite")
        self.engine = DurableEngine(
            store,
            self.clock,
            self.invoker,
            self.app,
            self.config.durable,
            cpu_count=os.cpu_count() or 2,
        )
        workers = self._worker_processes()
        if workers and (self.engine.orch.orchestrators or self.engine.activities):
            orch = self.engine.orch
            self._episode_workers = EpisodeWorkers(
                WorkerSpec(
                    app_dir=str(self.app_dir),
                    environ=dict(os.environ),
                    store_path=str(store.path),
                    default_version=orch.default_version,
                    version_match=orch.version_match,
                    version_failure=orch.version_failure,
                    virtual_clock=self.clock.is_virtual,
                    max_episodes=self.engine.max_orchestrations,
                    log_level=logging.getLogger().getEffectiveLevel(),
                    max_activities=self.engine.max_activities,
                    output_types=tuple(self.invoker.output_types()),
                ),
                workers,
                self.engine.workers_ran,
            )
            await self._episode_workers.start()
            self.engine.episode_workers = self._episode_workers
        self.api = DurableApi(self.engine, self.base_url, self.config.hub_name)
        prefix = str(self.config.extension("http").get("routePrefix", "api"))
        self.http = HttpTriggers(self.functions, self.invoke, prefix)
        web_app = web.Application(
            client_max_size=100 * 1024 * 1024, middlewares=[problem_middleware]
        )
        web_app.add_routes(
            [*admin_routes(self), *self.api.routes(), *self._routes, *self.http.web_routes()]
        )
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        self._sock.listen(512)
        await web.SockSite(self._runner, self._sock).start()
        await self.engine.start()
        for fn in self.functions:
            factory = self._triggers.get(fn.trigger_type)
            if factory is not None:
                listener = factory(self, fn)
                await listener.start()
                self._listeners.append(listener)
        self.running = True
        address.record(self.data_dir, self.base_url)

    async def stop(self) -> None:
        if self.running:
            address.forget(self.data_dir, self.base_url)
        self.running = False
        for listener in reversed(self._listeners):
            with contextlib.suppress(Exception):
                await listener.stop()
        self._listeners.clear()
        for hook in self._stop_hooks:
            with contextlib.suppress(Exception):
                outcome = hook()
                if inspect.isawaitable(outcome):
                    await outcome
        if self._episode_workers is not None:
            # First, so that a worker ending now (SIGTERM to the process group) is not
            # started again; each finishes the batch it is committing.
            self._episode_workers.close()
        if self.engine is not None:
            await self.engine.stop()
            self.engine.store.close()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._sock is not None:
            self._sock.close()
        await self._close_sdk_http_session()
        self.invoker.shutdown()
        if self._azurite is not None:
            self._azurite.stop()
        if self.app is not None and not self._keep_app:
            unload_app(self.app)
        if self._saved_cwd is not None:
            os.chdir(self._saved_cwd)
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def detach_app(self) -> LoadedApp | None:
        """Hand the imported app to the caller: ``stop()`` then leaves its modules loaded, and
        a host given it (``app=``) runs it without importing it again."""
        self._keep_app = True
        return self.app

    def _bind(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", self.port))
        except OSError as error:
            sock.close()
            if error.errno == errno.EADDRINUSE:
                raise OSError(
                    f"port {self.port} on 127.0.0.1 is in use (another devhost or"
                    " func start?); stop it or choose another --port"
                ) from None
            raise
        return sock

    def release_azurite(self) -> tuple[Azurite, dict[str, str]] | None:
        """Hand the Azurite this host started to the caller, with the settings that point at
        it: ``stop()`` then leaves it running, and a host given those settings uses it (a
        quick restart on the same data dir, as the Functions host restarts without its
        storage emulator). The caller stops it."""
        if self._azurite is None:
            return None
        azurite, self._azurite = self._azurite, None
        return azurite, dict.fromkeys(self._azurite_settings, azurite.connection_string)

    def _worker_processes(self) -> int:
        """How many processes run orchestrator episodes: 0 means this one."""
        if self.worker_processes is not None:
            if not 0 <= self.worker_processes <= 10:
                raise ValueError(f"worker_processes: expected 0 to 10, got {self.worker_processes}")
            return self.worker_processes
        raw = self.settings.get("FUNCTIONS_WORKER_PROCESS_COUNT", "1") or "1"
        try:
            count = int(raw)
        except ValueError:
            raise ValueError(
                f"FUNCTIONS_WORKER_PROCESS_COUNT: expected a whole number from 1 to 10, got {raw!r}"
            ) from None
        if not 1 <= count <= 10:
            raise ValueError(f"FUNCTIONS_WORKER_PROCESS_COUNT: expected 1 to 10, got {count}")
        return count

    def _install_extensions(self) -> None:
        """Install the Service Bus, storage-queue and timer triggers (``devhost.messaging``).

        They are part of devhost, not optional: a module of theirs that cannot be imported
        fails the start with its error, where skipping them would leave every such trigger
        of the app silently dead."""
        try:
            from . import messaging
        except ImportError as exc:
            raise RuntimeError(
                f"the trigger extensions (devhost.messaging) cannot be"
                f" imported: {type(exc).__name__}: {exc}"
            ) from exc
        messaging.install(self)

    def _export_settings(self) -> None:
        dev = [k for k, v in self.settings.items() if v.strip().lower().rstrip(";") == _DEV_STORAGE]
        if dev:
            binary = find_azurite(self.app_dir, self.settings.get(AZURITE_SETTING))
            if binary is None:
                log.warning(
                    "%s uses development storage but Azurite was not found (npm install"
                    " azurite); blob and queue calls will fail",
                    ", ".join(dev),
                )
            else:
                self._azurite = Azurite.start(binary, self.data_dir / "azurite")
                self._azurite_settings = dev
                for key in dev:
                    self.settings[key] = self._azurite.connection_string
        # The Functions host tells the app its address (Core Tools: localhost:<port>); apps
        # derive their public links from it. The host owns it, whatever the settings say.
        hostname = f"127.0.0.1:{self.port}"
        given = self.settings.get(_HOSTNAME)
        if given and given != hostname:
            log.warning(
                "%s=%s in the settings is replaced by %s, this host's address; set"
                " the app's own public URL setting for another one",
                _HOSTNAME,
                given,
                hostname,
            )
        self.settings[_HOSTNAME] = hostname
        for key, value in self.settings.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    @staticmethod
    def _reset_sdk_http_session() -> None:
        """The SDK keeps one aiohttp session per process; make it belong to this loop."""
        http_utils: Any = sys.modules.get("azure.durable_functions.models.utils.http_utils")
        if http_utils is not None and hasattr(http_utils, "_client_session"):
            http_utils._client_session = None
            http_utils._session_lock = asyncio.Lock()

    @staticmethod
    async def _close_sdk_http_session() -> None:
        http_utils: Any = sys.modules.get("azure.durable_functions.models.utils.http_utils")
        session = getattr(http_utils, "_client_session", None)
        if session is not None and not session.closed:
            await session.close()
        if http_utils is not None and hasattr(http_utils, "_client_session"):
            http_utils._client_session = None

    # -------------------------------------------------------------------------- waiting
    def busy(self) -> bool:
        if self.engine is not None and self.engine.busy():
            return True
        return any(probe() for probe in self._probes)

    async def wait_idle(self, timeout: float = 30.0) -> bool:
        """Return True once nothing is runnable now (two checks in a row), False on timeout."""
        deadline = time.monotonic() + timeout
        quiet = 0
        while time.monotonic() < deadline:
            if self.busy():
                quiet = 0
            else:
                quiet += 1
                if quiet >= 2:
                    return True
            await asyncio.sleep(0.005)
        return False

    async def advance(self, delta: timedelta, settle_timeout: float = 60.0) -> datetime:
        """Move the virtual clock, letting the host settle at every due moment. Work still
        running after ``settle_timeout`` seconds (a hanging activity) does not hold time back:
        as in real life, time passes while it runs."""
        if not isinstance(self.clock, VirtualClock):
            raise RuntimeError("the clock is real; only a virtual clock can be advanced")

        async def settle() -> None:
            await self.wait_idle(settle_timeout)

        return await self.clock.advance(delta, settle)

    def uptime_ms(self) -> int:
        return int((time.monotonic() - self._started) * 1000)

    def describe(self) -> str:
        """The function list ``func start`` prints."""
        lines = ["", "Functions:", ""]
        for fn in sorted(self.functions, key=lambda f: f.name.lower()):
            if fn.trigger_type == "httpTrigger" and self.http is not None:
                route = next(r for r in self.http.routes if r.fn is fn)
                methods = ",".join(route.methods)
                lines.append(f"\t{fn.name}: [{methods}] {self.http.url_of(route, self.base_url)}")
            else:
                lines.append(f"\t{fn.name}: {fn.trigger_type}")
            lines.append("")
        return "\n".join(lines)
