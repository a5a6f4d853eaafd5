"""Device resolution: ``"auto"`` means CUDA when present, else CPU."""

import torch


def resolve_device(device):
    """Return the :class:`torch.device` named by ``device``.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda", "cuda:N", "mps"} or torch.device
        ``"auto"`` picks CUDA when :func:`torch.cuda.is_available` and the CPU
        otherwise.

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        If ``device`` is not a device name, or names CUDA/MPS on a machine
        that has none.

    Examples
    --------
    >>> from skvaeal.utils import resolve_device
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if device is None or (isinstance(device, str) and device == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not isinstance(device, (str, torch.device)):
        raise TypeError(
            f"device must be 'auto', a device name such as 'cpu' or 'cuda', or a "
            f"torch.device; got {type(device).__name__}."
        )
    try:
        resolved = torch.device(device)
    except RuntimeError as exc:
        raise ValueError(
            f"device={device!r} is not a valid torch device; use 'auto', 'cpu' or 'cuda'."
        ) from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available on this machine; "
            "use device='auto' to fall back to the CPU."
        )
    if resolved.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device={device!r} was requested but MPS is not available.")
    return resolved
