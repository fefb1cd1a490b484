"""Thin wrappers over compiled solvers: OR-Tools min-cost flow and rustworkx blossom matching."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import rustworkx as rx
from ortools.graph.python import min_cost_flow

IntArray = npt.NDArray[np.int64]


def _costs(weights: IntArray) -> IntArray:
    # Every unit of flow crosses exactly one weighted arc, so an offset keeps costs >= 0 without changing the optimum.
    return (int(weights.max(initial=0)) + 1 - weights).astype(np.int64)


def bipartite_b_matching(
    left: IntArray, right: IntArray, weights: IntArray, n_left: int, right_capacity: IntArray
) -> npt.NDArray[np.bool_]:
    """Maximum-cardinality, then maximum-weight, assignment of left nodes (capacity 1) to right nodes.

    Returns a mask over the edges that are used.
    """
    n_right = len(right_capacity)
    source, sink = n_left + n_right, n_left + n_right + 1
    smcf = min_cost_flow.SimpleMinCostFlow()
    edge_arcs = smcf.add_arcs_with_capacity_and_unit_cost(
        left, n_left + right, np.ones(len(left), np.int64), _costs(weights)
    )
    smcf.add_arcs_with_capacity_and_unit_cost(
        np.full(n_left, source, np.int64),
        np.arange(n_left, dtype=np.int64),
        np.ones(n_left, np.int64),
        np.zeros(n_left, np.int64),
    )
    smcf.add_arcs_with_capacity_and_unit_cost(
        n_left + np.arange(n_right, dtype=np.int64),
        np.full(n_right, sink, np.int64),
        right_capacity.astype(np.int64),
        np.zeros(n_right, np.int64),
    )
    smcf.set_nodes_supplies(np.array([source, sink], np.int64), np.array([n_left, -n_left], np.int64))
    status = smcf.solve_max_flow_with_min_cost()
    if status != smcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed: {status}")
    return np.asarray(smcf.flows(edge_arcs)) > 0


def fractional_matching_successors(a: IntArray, b: IntArray, weights: IntArray, n: int) -> IntArray:
    """Maximum (fractional) matching on the bipartite double cover of an undirected graph.

    Each person i is split into an out-copy and an in-copy; each edge {i, j} becomes arcs i->j and j->i. The optimum
    is the LP relaxation of general matching (an upper bound on it), made of 2-cycles (pairs), longer cycles and
    paths. Returns succ[i] = j for the arc used out of i, or -1.
    """
    tails = np.concatenate([a, b])
    heads = np.concatenate([b, a])
    w = np.concatenate([weights, weights])
    matched = bipartite_b_matching(tails, heads, w, n, np.ones(n, np.int64))
    succ = np.full(n, -1, np.int64)
    succ[tails[matched]] = heads[matched]
    return succ


def general_matching(n: int, a: IntArray, b: IntArray, weights: IntArray) -> list[tuple[int, int]]:
    """Exact maximum-cardinality, then maximum-weight, matching (Edmonds' blossom, compiled)."""
    graph: rx.PyGraph = rx.PyGraph(multigraph=False)
    graph.add_nodes_from(range(n))
    graph.add_edges_from([(int(x), int(y), int(w)) for x, y, w in zip(a, b, weights, strict=True)])
    pairs = rx.max_weight_matching(graph, max_cardinality=True, weight_fn=lambda w: w)
    return [(min(x, y), max(x, y)) for x, y in pairs]
