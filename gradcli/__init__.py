"""gradcli: a gradient calculator and tutor for reverse-mode automatic differentiation."""

__version__ = "0.1.0"
