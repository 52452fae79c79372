"""A definition's states as a graph: nodes and edges, ready to draw (the dashboard does).

Each state machine (the workflow, every ``parallel`` branch, every ``map`` iterator) is one
``machine``: ``""`` for the top level, ``"Fan/0"`` for branch 0 of state ``Fan``, ``"Each"`` for
the iterator of map state ``Each``. Node ids are unique across machines (``Fan/0/Step``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["state_graph"]


def state_graph(document: dict[str, Any]) -> dict[str, Any]:
    """``{"startAt", "machines": [...], "nodes": [...], "edges": [...]}`` of a valid definition."""
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    machines: list[dict[str, Any]] = []
    _machine(document, "", None, nodes, edges, machines)
    return {
        "startAt": document.get("startAt"),
        "machines": machines,
        "nodes": nodes,
        "edges": edges,
    }


def _machine(
    machine: dict[str, Any],
    prefix: str,
    parent: str | None,
    nodes: list[dict[str, Any]],
    edges: list[dict[str, Any]],
    machines: list[dict[str, Any]],
) -> None:
    def node_id(name: str) -> str:
        return f"{prefix}/{name}" if prefix else name

    states = machine.get("states") or {}
    machines.append({"id": prefix, "parent": parent, "startAt": node_id(machine["startAt"])})
    for name, state in states.items():
        kind = state.get("type")
        node: dict[str, Any] = {"id": node_id(name), "name": name, "type": kind, "machine": prefix}
        for key in ("activity", "event", "workflow", "entity", "operation", "comment"):
            if isinstance(state.get(key), str):
                node[key] = state[key]
        if isinstance(state.get("compensate"), dict):
            node["compensation"] = state["compensate"].get("activity")
        node["end"] = bool(state.get("end")) or kind in ("succeed", "fail")
        nodes.append(node)
        targets = [
            ("next", state.get("next"), None),
            ("default", state.get("default"), None),
            ("timeout", state.get("timeoutNext"), None),
        ]
        targets += [("choice", c.get("next"), c.get("when")) for c in state.get("choices", ())]
        targets += [("catch", c.get("next"), c.get("errors")) for c in state.get("catch", ())]
        for kind_of_edge, target, detail in targets:
            if isinstance(target, str):
                edge: dict[str, Any] = {
                    "from": node_id(name),
                    "to": node_id(target),
                    "kind": kind_of_edge,
                }
                if kind_of_edge == "catch":
                    edge["errors"] = detail
                elif kind_of_edge == "choice":
                    edge["when"] = detail
                edges.append(edge)
        if kind == "parallel":
            for index, branch in enumerate(state.get("branches", ())):
                _machine(branch, f"{node_id(name)}/{index}", node_id(name), nodes, edges, machines)
        elif kind == "map" and isinstance(state.get("iterator"), dict):
            _machine(state["iterator"], node_id(name), node_id(name), nodes, edges, machines)
