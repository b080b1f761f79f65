"""Text normalisation for live-room speech and screen text, and matching on sound."""

from monitor.text.normalise import NormalisedText, normalise
from monitor.text.pinyin import PinyinSequence, loose, pinyin_sequence, word_syllables

__all__ = ["NormalisedText", "PinyinSequence", "loose", "normalise", "pinyin_sequence", "word_syllables"]
