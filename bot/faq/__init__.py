"""Answering free-text questions from the FAQ: normalise, rank, abstain."""

from .normalise import Normaliser
from .ranker import Answer, FaqRanker

__all__ = ["Answer", "FaqRanker", "Normaliser"]
