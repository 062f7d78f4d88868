"""An exception of NumPy's own class and message, with gpudot's explanation after NumPy's words.

`explained` re-classes NumPy's exception (or rebuilds a builtin's) as a subclass of its class
that appends the explanation and pickles as NumPy's class.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Explained", "explained"]


class Explained:
    """Mixin of an exception that carries NumPy's message followed by gpudot's explanation."""

    __slots__ = ()
    explanation: str

    def __str__(self) -> str:
        numpy_message = super().__str__()
        return f"{numpy_message}\n{self.explanation}" if self.explanation else numpy_message

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as NumPy's own exception, explained again on loading (a process pool sends
        a worker's exception back pickled; the class made at run time cannot be found by name).
        """
        numpy_class = type(self).__bases__[1]
        _, args, *state = super().__reduce__()  # type: ignore[str-unpack]
        return _unpickle, (numpy_class, args, state[0] if state else None, self.explanation)


def _unpickle(
    numpy_class: type[BaseException], args: tuple[Any, ...], state: Any, explanation: str
) -> BaseException:
    error = numpy_class(*args)  # as pickle rebuilds NumPy's own exception
    if state:
        error.__dict__.update(state)
    return explained(error, explanation)


#: NumPy's exception class -> its subclass with gpudot's explanation, made once per class.
_EXPLAINED_CLASSES: dict[type[BaseException], type[BaseException]] = {}


def _explained_class(cls: type[BaseException]) -> type[BaseException]:
    """A subclass of NumPy's exception class ``cls`` whose message ends with the explanation."""
    if cls not in _EXPLAINED_CLASSES:
        namespace = {"__slots__": (), "__module__": cls.__module__}
        _EXPLAINED_CLASSES[cls] = type(cls.__name__, (Explained, cls), namespace)
    return _EXPLAINED_CLASSES[cls]


def explained(numpy_error: BaseException, explanation: str) -> BaseException:
    """Return ``numpy_error``, still of NumPy's class and message, with ``explanation`` after.

    The instance itself is re-classed where Python allows it: some NumPy exceptions (the ufunc
    casting errors) build their message from attributes their constructor cannot be given again.
    A builtin's instance cannot change class; it is rebuilt from its arguments, its message.
    """
    if isinstance(numpy_error, Explained):
        return numpy_error
    cls = _explained_class(type(numpy_error))
    try:
        numpy_error.__class__ = cls
    except TypeError:
        numpy_error = cls(*numpy_error.args)
    numpy_error.explanation = explanation  # type: ignore[attr-defined]
    return numpy_error
