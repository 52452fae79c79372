"""versionFailureStrategy Reject: a too-new instance waits Pending instead of failing."""

import json
import textwrap

from devhost.testing import DevHost


def test_a_newer_version_stays_pending_under_reject(tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "host.json").write_text(
        json.dumps(
            {
                "version": "2.0",
                "extensions": {
                    "durableTask": {
                        "defaultVersion": "1.0",
                        "versionMatchStrategy": "CurrentOrOlder",
                        "versionFailureStrategy": "Reject",
                    }
                },
            }
        )
    )
    (app / "function_app.py").write_text(
        textwrap.dedent("""
        import azure.durable_functions as df
        import azure.functions as func

        app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

        @app.orchestration_trigger(context_name="context")
        def versioned(context: df.DurableOrchestrationContext):
            return context.version
    """)
    )
    with DevHost(app, clock="virtual", data_dir=tmp_path / "data") as host:
        current = host.start_orchestration("versioned")
        newer = host.start_orchestration("versioned", version="2.0")
        host.wait_idle()
        assert host.wait_for(current)["output"] == "1.0"
        host.advance(seconds=300)  # offered again every minute, rejected each time
        assert host.status(newer)["runtimeStatus"] == "Pending"
