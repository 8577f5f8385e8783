"""What tensor mode needs from NumPy, imported only when a program has arrays.

`np` is a stand-in for the numpy module that imports it on first use: the op table can
name NumPy functions beside their derivative rules while a scalar program's start-up never
pays for the import (about 100 ms).
"""

from __future__ import annotations


class _LazyNumPy:
    """numpy, imported when an attribute is first asked for."""

    def __getattr__(self, name):
        import numpy

        value = getattr(numpy, name)
        setattr(self, name, value)  # asked for again, it is found without this call
        return value


np = _LazyNumPy()


class ShapeProblem(Exception):
    """An op's operands do not fit (a shape mismatch, an index out of range): the message
    says what, and the engine adds which step."""


def is_array(value) -> bool:
    """A NumPy array or a nested list, as opposed to one number."""
    return hasattr(value, "shape") or isinstance(value, (list, tuple))


def shape_text(shape) -> str:
    """(2, 3), (64,), () as Python writes them."""
    return str(tuple(int(d) for d in shape))


def sum_to(g, shape):
    """The adjoint of a broadcast: sum g over the axes that broadcasting added or stretched,
    so the result has exactly `shape` (PyTorch's sum_to, tinygrad's unbroadcast). A (2, 3)
    adjoint arriving at a (3,) operand is summed over axis 0; at a (1, 3) one, over axis 0
    with the axis kept."""
    g = np.asarray(g, dtype=float)
    if g.shape == tuple(shape):
        return g
    lead = g.ndim - len(shape)
    if lead > 0:
        g = g.sum(axis=tuple(range(lead)))
    stretched = tuple(k for k, d in enumerate(shape) if d == 1 and g.shape[k] != 1)
    if stretched:
        g = g.sum(axis=stretched, keepdims=True)
    if g.shape != tuple(shape):  # a 0-d operand under a 0-d adjoint, or a size-1 chain
        g = np.broadcast_to(g, shape).copy() if g.size == 1 else g.reshape(shape)
    return g


def broadcast_axes(shape, out_shape) -> tuple:
    """The axes of `out_shape` along which an operand of `shape` was broadcast: added in
    front or stretched from 1. Empty when the operand already had the output's shape."""
    lead = len(out_shape) - len(shape)
    added = tuple(range(lead))
    stretched = tuple(lead + k for k, d in enumerate(shape) if d == 1 and out_shape[lead + k] != 1)
    return added + stretched
