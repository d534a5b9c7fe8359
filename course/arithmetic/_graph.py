"""Walking a built Keras model's graph, for receptive fields, MACs and memory.

:func:`graph` lists a model's layer calls in topological order;
:func:`layer_calls` walks into nested models, naming their layers
``"outer/inner"``; :func:`per_layer_totals` adds up one number per layer call,
which is all :func:`~course.arithmetic.count_macs` and
:func:`~course.arithmetic.activation_memory` do. The receptive-field walk carries
a state from each call to the next and keeps its own loop over :func:`graph`.

Keras is imported when a function is called (never TensorFlow), so
:mod:`course.arithmetic` imports without it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from course import _validate


def graph(model):
    """Returns ``(inputs, outputs, nodes)`` of a built Functional/Sequential model.

    ``nodes`` are the Keras ``Node`` objects (one per layer call) between the
    inputs and the outputs, in topological order (every node after the nodes
    producing its inputs). The walk is iterative, so deep models do not hit
    Python's recursion limit.

    Raises:
        ValueError: for a model without symbolic inputs (an unbuilt Sequential
            or a subclassed model).
    """
    _validate.model("model", model, functional=True)
    inputs, outputs = list(model.inputs), list(model.outputs)
    input_ids = {id(t) for t in inputs}

    def producer(tensor):
        operation, node_index, _ = tensor._keras_history
        return operation._inbound_nodes[node_index]

    order, seen = [], set()
    stack = [(producer(t), False) for t in reversed(outputs) if id(t) not in input_ids]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for tensor in reversed(node.input_tensors):
            if id(tensor) not in input_ids:
                stack.append((producer(tensor), False))
    return inputs, outputs, [n for n in order if not n.is_input]


def layer_calls(model, prefix: str = "") -> Iterator[tuple[str, object]]:
    """Yields ``(name, node)`` for every call of a layer that is not a model,
    front to back; nested models are walked into (``"outer/inner"``)."""
    import keras

    for node in graph(model)[2]:
        name = prefix + node.operation.name
        if isinstance(node.operation, keras.Model):
            yield from layer_calls(node.operation, name + "/")
        else:
            yield name, node


def per_layer_totals(
    model, measure: Callable, totals: dict[str, int] | None = None
) -> dict[str, int]:
    """``{layer name: sum of measure(layer, node, name)}`` over the layer calls.

    A layer called twice (shared weights) counts both calls; ``measure`` returns
    ``None`` for a call that does not count, which then gets no entry. ``totals``
    holds entries to start from (the model's inputs, for memory).
    """
    totals = {} if totals is None else totals
    for name, node in layer_calls(model):
        value = measure(node.operation, node, name)
        if value is not None:
            totals[name] = totals.get(name, 0) + value
    return totals


def spatial(shape, data_format: str) -> tuple:
    """The spatial sizes of ``shape`` (batch axis included in ``shape``)."""
    shape = tuple(shape)
    return shape[2:] if data_format == "channels_first" else shape[1:-1]


def channels(shape, data_format: str):
    """The channel count of ``shape`` (batch axis included in ``shape``)."""
    shape = tuple(shape)
    return shape[1] if data_format == "channels_first" else shape[-1]


def data_format(layer) -> str:
    """The layer's ``data_format``, ``"channels_last"`` for layers without one."""
    return getattr(layer, "data_format", None) or "channels_last"


def known_dims(shape, what: str, name: str) -> tuple[int, ...]:
    """``shape`` without its batch axis, raising if a size is unknown."""
    dims = tuple(shape)[1:]
    if any(v is None for v in dims):
        raise _validate.relation(
            f"a known {what} shape (no None besides the batch axis)",
            layer=name,
            shape=tuple(shape),
        )
    return dims
