import numpy as np
import pandas as pd
import pytest

from pipeline.tracks.ov_predict import fit_temperature, import_sets, lexicon_sets, parse_answer


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ("The speaker feels happy, excited and slightly nervous.", ["happy", "excited", "nervous"]),
        ("Emotions: 1. Angry\n2. Frustrated\n3. disappointed", ["angry", "frustrated", "disappointed"]),
        ("sad/lonely; worried or anxious", ["sad", "lonely", "worried", "anxious"]),
        ("In this video, the character appears to be surprised and confused.", ["surprised", "confused"]),
        ("Happy, happy, HAPPY!", ["happy"]),
        ("", []),
    ],
)
def test_llm_answers_parse_into_normalised_words(answer, words):
    assert parse_answer(answer) == words


def test_lexicon_sets_take_labels_above_threshold_and_always_the_top():
    labels = ["neutral", "angry", "happy", "sad", "worried", "surprise"]
    probs = np.array([[0.05, 0.05, 0.6, 0.1, 0.1, 0.1], [0.3, 0.3, 0.1, 0.1, 0.1, 0.1], [0.1] * 6])
    sets = lexicon_sets(probs, labels, threshold=0.25, words_per_label=2)
    assert sets[0] == ["happy", "joyful"]
    assert sets[1] == ["neutral", "calm", "angry", "annoyed"]
    assert len(sets[2]) == 2


def test_temperature_fit_recovers_overconfidence():
    rng = np.random.default_rng(0)
    true_logits = rng.normal(0, 1.5, (4000, 6))
    probs = np.exp(true_logits) / np.exp(true_logits).sum(axis=1, keepdims=True)
    y = np.array([rng.choice(6, p=p) for p in probs])
    assert fit_temperature(true_logits * 3.0, y) == pytest.approx(3.0, rel=0.1)


def test_imported_answers_missing_clips_are_empty(tmp_path):
    path = tmp_path / "answers.csv"
    pd.DataFrame({"name": ["a"], "answer": ["The speaker is angry and impatient."]}).to_csv(path, index=False)
    assert import_sets(path, ["a", "b"]) == [["angry", "impatient"], []]


def test_llm_predictor_runs_a_causal_lm_with_a_chat_template():
    from pipeline.config.ov import OVConfig
    from pipeline.tracks.ov_llm import LLMPredictor
    from pipeline.tracks.ov_score import predict_sets

    llm = LLMPredictor("random:qwen2-tiny", device="cpu", max_new_tokens=6)
    assert "random-init stand-in" in llm.description
    answer = llm.answer("I am so happy today", ["happy", "surprise"])
    assert isinstance(answer, str) and answer == llm.answer("I am so happy today", ["happy", "surprise"])
    rows = pd.DataFrame({"name": ["a", "b"]})
    probs = np.array([[0.1, 0.1, 0.6, 0.1, 0.05, 0.05], [0.5, 0.3, 0.1, 0.05, 0.03, 0.02]])
    labels = ["neutral", "angry", "happy", "sad", "worried", "surprise"]
    sets, details = predict_sets(
        rows, probs, ["so happy", "leave me alone"], labels, OVConfig(predictor="llm", max_new_tokens=6)
    )
    assert len(sets) == 2 and all(isinstance(w, str) and w == w.lower() for s in sets for w in s)
    assert "random:qwen2-tiny" in details["llm"]
