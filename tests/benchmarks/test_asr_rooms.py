"""How the batched-ASR benchmark scores a transcript: CER over islands no segment crosses, findings by overlap."""

from __future__ import annotations

from benchmarks.speed.asr_rooms import Sentence, flagged_sentences, transcript_cer

SENTENCES = (
    Sentence(0.5, 3.0, "全网最低价", ("absolute_terms",)),
    Sentence(3.6, 6.0, "看一下包装", ()),
    Sentence(6.6, 9.0, "能治疗高血压", ("medical_claims",)),
)


def test_a_segment_over_two_sentences_is_compared_with_both_together() -> None:
    # one segment for the first two sentences (no error), one for the third with one wrong character
    edits, length = transcript_cer(SENTENCES, [(0.4, 6.1, "全网最低价，看一下包装。"), (6.5, 9.1, "能治疗高血亚")])
    assert (edits, length) == (1, 16)


def test_a_sentence_nothing_was_heard_of_counts_every_character() -> None:
    assert transcript_cer(SENTENCES, [(0.4, 3.1, "全网最低价")]) == (11, 16)
    assert transcript_cer(SENTENCES, []) == (16, 16)


def test_a_finding_belongs_to_the_sentence_it_overlaps_most_and_pass_findings_flag_nothing() -> None:
    findings = [
        {"start": 2.0, "end": 3.9, "category": "absolute_terms", "risk": "block", "source": "speech"},
        {"start": 6.0, "end": 9.5, "category": "medical_claims", "risk": "review", "source": "speech"},
        {"start": 3.7, "end": 5.0, "category": "fake_data", "risk": "pass", "source": "speech"},
        {"start": 3.7, "end": 5.0, "category": "fake_data", "risk": "block", "source": "screen"},
    ]
    assert flagged_sentences(SENTENCES, findings) == [{"absolute_terms"}, set(), {"medical_claims"}]
