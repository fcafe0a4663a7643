"""Nhà Nông: the Farmers' Union chatbot core (channel-agnostic)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent
"""The installed package folder (catalogs and migrations live beside the code)."""

__version__ = "0.1.0"
